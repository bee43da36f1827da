// Both halves of a WebSocket upgrade as the proxy sees it. The client half: the checks of RFC 6455 a proxy must
// make before it spends an upstream connection. The upstream half, written and read on a plain socket: the request
// head the proxy sends (the client's, with nginx's forwarding headers), and the response head it reads back (the
// 101, or a refusal such as 401 or 404) with the security headers put in. An HTTP client would do the same with a ClientRequest,
// a parser and an IncomingMessage per charger; this is the part of a WebSocket session's cost that is paid once
// per handshake, so it is kept to string building and one scan for the end of the head.

import type { IncomingMessage } from 'node:http';
import { WEBSOCKET_KEY } from '../common/connectionless-upgrade.js';
import { SECURITY_HEADERS, SECURITY_HEADER_LINES } from './headers.js';

/** The most an upstream may send before the end of its response head (Node's own limit for a head is 16 KB). */
export const MAX_RESPONSE_HEAD_BYTES = 16 * 1024;

const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: [^\r\n]*)?$/;
/** Hop-by-hop headers of the client's connection, not forwarded; Connection and Upgrade are set anew. */
const NOT_FORWARDED = new Set([
  'connection',
  'upgrade',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
]);
const SECURITY_HEADER_NAMES: ReadonlySet<string> = new Set(Object.keys(SECURITY_HEADERS));

export interface HandshakeRefusal {
  /** For the 400 answer. */
  reason: string;
  /** Header lines to add to it (each ending in \r\n). */
  headers?: string;
}

/** RFC 6455 §4.2.1, as far as a proxy must check before spending an upstream connection. */
export function checkClientHandshake(req: IncomingMessage): HandshakeRefusal | undefined {
  if (req.method !== 'GET') return { reason: 'a WebSocket upgrade must use GET' };
  if (req.headers.upgrade?.toLowerCase() !== 'websocket') return { reason: 'Upgrade header must be websocket' };
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string' || !WEBSOCKET_KEY.test(key))
    return { reason: 'Missing or invalid Sec-WebSocket-Key header' };
  if (req.headers['sec-websocket-version'] !== '13') {
    return { reason: 'Missing or unsupported Sec-WebSocket-Version header', headers: 'sec-websocket-version: 13\r\n' };
  }
  return undefined;
}

/**
 * The upgrade request for the upstream: the client's request line and headers (X-Forwarded-* already set on
 * `req.headers`), under the upstream's base path, with `Connection: upgrade` as nginx sends it.
 */
export function upgradeRequestHead(req: IncomingMessage, basePath: string): string {
  let head = `GET ${basePath}${req.url ?? '/'} HTTP/1.1\r\n`;
  const headers = req.headers;
  for (const name in headers) {
    if (NOT_FORWARDED.has(name)) continue;
    const value = headers[name];
    if (value === undefined) continue;
    if (typeof value === 'string') head += `${name}: ${value}\r\n`;
    else for (const item of value) head += `${name}: ${item}\r\n`;
  }
  return `${head}connection: upgrade\r\nupgrade: websocket\r\n\r\n`;
}

export interface UpstreamResponseHead {
  status: number;
  /** The head to send to the client: the upstream's, with our security headers instead of its own. */
  head: string;
  /** Sec-WebSocket-Protocol of a 101, when the upstream chose one. */
  subprotocol: string | undefined;
  /** Whatever followed the head in the same reads (frames after a 101, the body of a refusal). */
  rest: Buffer;
}

export type ResponseHeadResult =
  | { complete: true; response: UpstreamResponseHead }
  | { complete: false; error?: string };

/**
 * Looks for the end of the response head in what the upstream sent so far. Incomplete: wait for more (or give up
 * with `error` when it is too long); complete: the parsed head. A malformed head is an error, as for nginx (502).
 */
export function readResponseHead(received: Buffer): ResponseHeadResult {
  const end = received.indexOf(HEAD_END);
  if (end === -1) {
    return received.length > MAX_RESPONSE_HEAD_BYTES
      ? { complete: false, error: 'the upstream response head is too large' }
      : { complete: false };
  }
  const lines = received.toString('latin1', 0, end).split('\r\n');
  const match = STATUS_LINE.exec(lines[0]!);
  if (!match) return { complete: false, error: 'the upstream sent a malformed status line' };
  let head = `${lines[0]}\r\n`;
  let subprotocol: string | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) return { complete: false, error: 'the upstream sent a malformed header line' };
    const name = line.slice(0, colon).trim().toLowerCase();
    if (SECURITY_HEADER_NAMES.has(name)) continue;
    if (name === 'sec-websocket-protocol') subprotocol = line.slice(colon + 1).trim();
    head += `${line}\r\n`;
  }
  head += `${SECURITY_HEADER_LINES}\r\n`;
  return {
    complete: true,
    response: { status: Number(match[1]), head, subprotocol, rest: received.subarray(end + HEAD_END.length) },
  };
}
