// Answers the proxy generates itself: JSON bodies for HTTP requests, and raw HTTP answers for sockets that never
// became a ServerResponse (refused WebSocket upgrades, malformed requests). All carry the security headers.

import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { SECURITY_HEADER_LINES } from './headers.js';

const ERROR_NAMES: Record<number, string> = {
  400: 'bad_request',
  404: 'not_found',
  408: 'request_timeout',
  413: 'content_too_large',
  429: 'too_many_requests',
  431: 'request_header_fields_too_large',
  502: 'bad_gateway',
  503: 'service_unavailable',
  504: 'gateway_timeout',
};

function body(status: number, message: string): string {
  return `${JSON.stringify({ error: ERROR_NAMES[status] ?? 'error', status, message })}\n`;
}

/** On a response whose headers are not sent yet; otherwise the only honest answer is to cut the connection. */
export function sendJsonError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = body(status, message);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

/** Writes a complete HTTP/1.1 answer to a raw socket and closes it once written. */
export function writeRawError(socket: Duplex, status: number, message: string, extraHeaders = ''): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const text = body(status, message);
  socket.write(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'connection: close\r\n' +
      'content-type: application/json; charset=utf-8\r\n' +
      `content-length: ${Buffer.byteLength(text)}\r\n` +
      'cache-control: no-store\r\n' +
      SECURITY_HEADER_LINES +
      extraHeaders +
      `\r\n${text}`,
  );
  // End once written, then destroy: the peer may never close its side.
  const closable = socket as Duplex & { destroySoon?: () => void };
  if (closable.destroySoon) closable.destroySoon();
  else socket.end();
}
