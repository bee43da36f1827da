// How a charger reached the proxy, in a header the proxy owns: `tls` on the HTTPS listener, `plain` on the HTTP
// listener (security profile 1 over ws://, only with --plain-ocpp-on-http). The proxy sets it on every request and
// upgrade it forwards, replacing whatever a client sent; the backend reads it only from its --trusted-proxy
// addresses and refuses a request from anyone else that carries it, as it does the client-certificate headers.
//
// X-Forwarded-Proto says the same for the API's sake, but a balancer in front (--trust-proxy) may set that one; this
// header is the proxy's own account of the listener that took the connection.

import type { IncomingHttpHeaders } from 'node:http';
import { hasClientCertificateHeaders } from './client-certificate-headers.js';

export const TRANSPORT_HEADER = 'x-ocpp-edge-transport';

export type ProxyTransport = 'tls' | 'plain';

/** Proxy side: overwrites any client-sent copy. */
export function setTransportHeader(headers: IncomingHttpHeaders, transport: ProxyTransport): void {
  headers[TRANSPORT_HEADER] = transport;
}

/** Backend side (a trusted proxy's request only): undefined when absent; anything unknown counts as plain. */
export function readTransportHeader(headers: IncomingHttpHeaders): ProxyTransport | undefined {
  const value = headers[TRANSPORT_HEADER];
  if (value === undefined) return undefined;
  return value === 'tls' ? 'tls' : 'plain';
}

/** Whether a request carries any header only our proxy may set (refused from anyone but a trusted proxy). */
export function hasProxyOwnedHeaders(headers: IncomingHttpHeaders): boolean {
  return headers[TRANSPORT_HEADER] !== undefined || hasClientCertificateHeaders(headers);
}
