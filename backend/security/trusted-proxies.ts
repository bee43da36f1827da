// The proxies whose client-certificate headers (common/client-certificate-headers.ts) and X-Forwarded-Proto the
// backend believes: --trusted-proxy addresses or CIDR ranges. From anyone else a request carrying those headers is
// refused (403), since only a proxy of ours could have set them honestly.

import { BlockList, isIP } from 'node:net';
import { UNIX_SCHEME } from '../../common/unix-socket.js';

export class TrustedProxies {
  private readonly list = new BlockList();

  /** entries: IPv4/IPv6 addresses or CIDR ranges ("10.0.0.0/8"); validated by checkTrustedProxy at start-up. */
  constructor(readonly entries: readonly string[]) {
    for (const entry of entries) {
      const [address, prefix] = entry.split('/') as [string, string | undefined];
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.list.addAddress(address, family);
      else this.list.addSubnet(address, Number(prefix), family);
    }
  }

  trusts(remoteAddress: string | undefined): boolean {
    if (!remoteAddress) return false;
    // A peer on the backend's --socket (its connections carry `unix:PATH` as their address, backend/server.ts):
    // the socket file is 0660, so only a process of the service's user or group, the proxy, can have connected.
    if (remoteAddress.startsWith(UNIX_SCHEME)) return true;
    // An IPv4 peer of a dual-stack socket shows as ::ffff:a.b.c.d.
    const address = remoteAddress.startsWith('::ffff:') ? remoteAddress.slice(7) : remoteAddress;
    return this.list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
  }
}

/** The check of one --trusted-proxy value (common/config.ts option table). */
export function checkTrustedProxy(value: string): string | undefined {
  const [address, prefix, extra] = value.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || extra !== undefined) return `expects an IP address or CIDR range, got ${JSON.stringify(value)}`;
  if (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128)))
    return `the prefix length of ${JSON.stringify(value)} is out of range`;
  return undefined;
}
