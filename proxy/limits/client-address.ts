// Which client a connection or request counts against. Limits and bans key on the address, except that an IPv6
// client is one /64 (--limit-ipv6-prefix): a single customer line or host usually gets a whole /64 and can pick any
// address in it, so per-address IPv6 limits would be no limit at all. IPv4-mapped IPv6 (::ffff:a.b.c.d, what a
// dual-stack listener reports for IPv4 peers) is the IPv4 address.

import net from 'node:net';
import type { IncomingMessage } from 'node:http';

/** The key of `address` for limits and bans: the IPv4 address, or the IPv6 prefix written as `addr/len`. */
export function clientKey(address: string, ipv6Prefix: number): string {
  if (address.startsWith('::ffff:') && net.isIPv4(address.slice(7))) return address.slice(7);
  if (!net.isIPv6(address)) return address;
  if (ipv6Prefix >= 128) return address;
  return `${ipv6Network(address, ipv6Prefix)}/${ipv6Prefix}`;
}

/**
 * The address a request comes from. With --trust-proxy, the peer is a balancer we trust and the client is the
 * last address it appended to X-Forwarded-For (the same one setForwardedHeaders makes X-Real-IP); otherwise the
 * peer itself, whatever X-Forwarded-For says (anyone can send one).
 */
export function requestAddress(req: IncomingMessage, trustProxy: boolean): string {
  const peer = req.socket.remoteAddress ?? '';
  if (!trustProxy) return peer;
  const forwarded = req.headers['x-forwarded-for'];
  const value = Array.isArray(forwarded) ? forwarded.join(',') : forwarded;
  const last = value?.split(',').pop()?.trim();
  return last && net.isIP(last) ? last : peer;
}

function ipv6Network(address: string, prefix: number): string {
  const groups = expandIpv6(address);
  const out: number[] = [];
  for (let i = 0; i < 8; i++) {
    const bits = Math.max(0, Math.min(16, prefix - i * 16));
    const mask = bits === 0 ? 0 : (0xffff << (16 - bits)) & 0xffff;
    out.push(groups[i]! & mask);
  }
  return compressIpv6(out);
}

/** Eight 16-bit groups of an IPv6 address (a trailing dotted IPv4 part included). */
function expandIpv6(address: string): number[] {
  let text = address.split('%')[0]!;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const zeros = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(zeros).fill('0'), ...right].map((group) => Number.parseInt(group, 16) || 0);
}

/** RFC 5952 text: lower case, the longest run of zero groups (two or more) as `::`. */
function compressIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
