// Response headers every HTTPS answer carries (the plan's `add_header ... always`), and the forwarding headers
// the upstream receives (`proxy_set_header X-Real-IP / X-Forwarded-*`).

import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { setTransportHeader } from '../common/transport-header.js';

export const SECURITY_HEADERS = {
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-frame-options': 'SAMEORIGIN',
  'x-content-type-options': 'nosniff',
} as const satisfies OutgoingHttpHeaders;

const SECURITY_HEADER_NAMES = Object.keys(SECURITY_HEADERS) as Array<keyof typeof SECURITY_HEADERS>;

/** Set before anything else, so errors the proxy generates itself carry them too. */
export function setSecurityHeaders(res: ServerResponse): void {
  for (const name of SECURITY_HEADER_NAMES) res.setHeader(name, SECURITY_HEADERS[name]);
}

/** The security headers as raw header lines, for answers written straight to a socket. */
export const SECURITY_HEADER_LINES = SECURITY_HEADER_NAMES.map((name) => `${name}: ${SECURITY_HEADERS[name]}\r\n`).join(
  '',
);

/**
 * X-Forwarded-For/-Proto/-Host and X-Real-IP for the upstream request, and the proxy's own transport header
 * (common/transport-header.ts). A client's own X-Forwarded-* are replaced, since anyone can send them; with
 * --trust-proxy the peer is a balancer we trust, so its X-Forwarded-For is extended and the address it reports
 * becomes X-Real-IP. A request that came in over plain HTTP (profile 1 on the HTTP listener) is `http`, whatever
 * a balancer says.
 */
export function setForwardedHeaders(req: IncomingMessage, trustProxy: boolean): void {
  const headers = req.headers;
  const peer = req.socket.remoteAddress ?? '';
  const forwardedFor = headerValue(headers['x-forwarded-for']);
  const tls = (req.socket as TLSSocket).encrypted === true;
  setTransportHeader(headers, tls ? 'tls' : 'plain');
  if (!tls) {
    headers['x-forwarded-for'] = peer;
    headers['x-real-ip'] = peer;
    headers['x-forwarded-proto'] = 'http';
    headers['x-forwarded-host'] = headers.host ?? '';
  } else if (trustProxy && forwardedFor) {
    headers['x-forwarded-for'] = `${forwardedFor}, ${peer}`;
    headers['x-real-ip'] = forwardedFor.split(',').pop()!.trim();
    headers['x-forwarded-proto'] = headerValue(headers['x-forwarded-proto']) ?? 'https';
    headers['x-forwarded-host'] = headerValue(headers['x-forwarded-host']) ?? headers.host ?? '';
  } else {
    headers['x-forwarded-for'] = peer;
    headers['x-real-ip'] = peer;
    headers['x-forwarded-proto'] = 'https';
    headers['x-forwarded-host'] = headers.host ?? '';
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : value;
}
