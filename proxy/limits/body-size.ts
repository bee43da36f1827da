// Request bodies bounded, as nginx's client_max_body_size: a declared Content-Length over the limit is answered
// 413 before anything reaches the upstream; a chunked body is counted as it is forwarded and, at the limit, cut
// (the upstream request is aborted when the client's response closes) and answered 413 when no answer began yet.
// Either way the connection is closed: the rest of the body is never read.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJsonError } from '../errors.js';

/**
 * False when the request was refused (413 sent); true when it may be forwarded, counted if chunked. `refused` is
 * called on either refusal.
 */
export function limitBody(req: IncomingMessage, res: ServerResponse, maxBytes: number, refused: () => void): boolean {
  const declared = req.headers['content-length'];
  if (declared !== undefined) {
    if (Number(declared) <= maxBytes) return true;
    refused();
    refuse(res, maxBytes);
    return false;
  }
  if (req.headers['transfer-encoding'] === undefined) return true;
  let received = 0;
  const count = (chunk: Buffer) => {
    received += chunk.length;
    if (received <= maxBytes) return;
    req.off('data', count);
    req.unpipe();
    req.pause();
    refused();
    if (res.headersSent) res.destroy();
    else refuse(res, maxBytes);
  };
  req.on('data', count);
  return true;
}

function refuse(res: ServerResponse, maxBytes: number): void {
  res.setHeader('connection', 'close');
  sendJsonError(res, 413, `the request body is larger than ${maxBytes} bytes (--max-body-size)`);
}
