// A complete HTTP/1.1 answer written straight to a socket that never became a ServerResponse: a refused WebSocket
// upgrade, a request Node's parser gave up on. The proxy and the backend both answer such sockets, one way.

import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

export interface RawHttpResponse {
  /** Omitted with the body for an answer without one. */
  contentType?: string;
  body?: string;
  /** More header lines, each ending in \r\n. */
  headerLines?: string;
}

/** Writes the answer with `connection: close` and closes the socket once it is written. */
export function writeRawHttpResponse(socket: Duplex, status: number, response: RawHttpResponse = {}): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const { contentType, body = '', headerLines = '' } = response;
  socket.write(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'connection: close\r\n' +
      (contentType ? `content-type: ${contentType}\r\n` : '') +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      headerLines +
      `\r\n${body}`,
  );
  // End once written, then destroy: the peer may never close its side.
  const closable = socket as Duplex & { destroySoon?: () => void };
  if (closable.destroySoon) closable.destroySoon();
  else socket.end();
}
