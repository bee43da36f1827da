// Answers the proxy generates itself: JSON bodies for HTTP requests, and raw HTTP answers for sockets that never
// became a ServerResponse (refused WebSocket upgrades, malformed requests). All carry the security headers.

import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { writeRawHttpResponse } from '../common/raw-http-response.js';
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
  writeRawHttpResponse(socket, status, {
    contentType: 'application/json; charset=utf-8',
    body: body(status, message),
    headerLines: `cache-control: no-store\r\n${SECURITY_HEADER_LINES}${extraHeaders}`,
  });
}
