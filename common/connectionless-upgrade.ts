// A WebSocket upgrade whose Connection header does not name "upgrade" (missing, or "keep-alive" alone), as the Autel
// MaxiCharger AC firmware sends it (lbbrhzn/ocpp#1933). RFC 6455 §4.2.1 item 4 asks for "Connection: Upgrade", and
// Node's HTTP parser (llhttp) flags a request as an upgrade only when both Upgrade and Connection say so: this one
// arrives as a plain 'request'. Node's `shouldUpgradeCallback` server option (v24.9.0, v22.21.0) is no way out: it
// is asked only about requests llhttp already flagged, never about this one. So the proxy and the backend, on
// /ocpp/ only, hand such a request back to Node as an upgrade from their 'request' listener (`promoteToUpgrade`).
// Counted as ocpp_edge_handshake_tolerances_total{kind="connection_header"}.

import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** RFC 6455 §4.1: the key is 16 random bytes, base64. */
export const WEBSOCKET_KEY = /^[+/0-9A-Za-z]{22}==$/;

/** Node sets `upgrade` on every request it parsed (llhttp's verdict); @types/node does not declare it. */
type ParsedRequest = IncomingMessage & { upgrade?: boolean };

/** The metric label of this tolerance. */
export const CONNECTION_HEADER_TOLERANCE = 'connection_header';

/**
 * True for a request Node took as plain that is a WebSocket upgrade in all but its Connection header: GET,
 * `Upgrade: websocket`, a well-formed Sec-WebSocket-Key, and no body (the request is complete with its head, so
 * nothing after it belongs to HTTP). Whether its path is one that tolerates this is the caller's to say.
 */
export function isUpgradeWithoutConnectionHeader(req: IncomingMessage): boolean {
  if ((req as ParsedRequest).upgrade || req.method !== 'GET') return false;
  const { headers } = req;
  if (headers.upgrade?.toLowerCase() !== 'websocket') return false;
  const key = headers['sec-websocket-key'];
  if (typeof key !== 'string' || !WEBSOCKET_KEY.test(key)) return false;
  if (headers['transfer-encoding'] !== undefined) return false;
  if (headers['content-length'] !== undefined && headers['content-length'] !== '0') return false;
  return true;
}

/**
 * Makes Node serve this request as an upgrade: called from a 'request' listener, which Node calls while its parser
 * is still on this request's bytes; once the parser returns, Node finds `req.upgrade` set, takes its parser off the
 * socket and emits 'upgrade' (req, socket, head) as for any upgrade, on Node 20, 22 and 24 alike. The response Node
 * made for the request is detached and never written. Should Node not take it over (another Node's internals), the
 * client gets a 400 instead of a socket nobody answers: `onNotTakenOver` is called, then the socket is answered.
 */
export function promoteToUpgrade(
  req: IncomingMessage,
  res: ServerResponse,
  onNotTakenOver: (socket: Duplex) => void,
): void {
  const socket = req.socket as IncomingMessage['socket'] & { parser?: unknown };
  res.detachSocket(socket);
  (req as ParsedRequest).upgrade = true;
  // Node's upgrade path frees the socket's parser (socket.parser = null) before emitting 'upgrade'.
  setImmediate(() => {
    if (socket.parser) onNotTakenOver(socket);
  });
}

export interface RequestListenerGuard {
  /** The request targets that tolerate the quirk (the OCPP endpoint's). */
  servesUpgrade: (url: string | undefined) => boolean;
  /** Called for each request handed over (to count it). */
  promoted: () => void;
  /** Answers a request Node did not take over (see promoteToUpgrade). */
  notTakenOver: (socket: Duplex) => void;
}

/**
 * For a server whose 'request' listeners belong to a framework (fastify's router): puts `promoteToUpgrade` in front
 * of them, so such an upgrade reaches the server's 'upgrade' listener and never the router. Every other request
 * goes to the listeners as before.
 */
export function promoteBeforeRequestListeners(server: Server, guard: RequestListenerGuard): void {
  const listeners = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (guard.servesUpgrade(req.url) && isUpgradeWithoutConnectionHeader(req)) {
      guard.promoted();
      promoteToUpgrade(req, res, guard.notTakenOver);
      return;
    }
    for (const listener of listeners) listener.call(server, req, res);
  });
}
