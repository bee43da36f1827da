// WebSocket upgrades on /ocpp/{chargePointId}: the handshake is checked here (400 without contacting the
// upstream), then http-proxy-3 opens the upstream connection and pipes the two sockets into each other. This file
// adds what nginx did around that pipe: the connect and idle timeouts, closing one side when the other goes,
// one access-log line per session, and close frames 1001 "going away" to both sides on shutdown. The upstream is
// the pool's choice (least connections, upstream-pool.ts); a refused connect is retried on the next one.
//
// Per-connection cost matters (thousands of idle chargers): a session is one small object found through a symbol
// on its sockets, the socket listeners are shared functions (no closures per connection), and the idle timeout
// is the sockets' own inactivity timer rather than a timer reset on every message.

import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import type { Logger } from '../common/logger.js';
import type { AccessLog } from './access-log.js';
import { writeRawError } from './errors.js';
import { isConnectFailure } from './health-checks.js';
import { overrideSecurityHeaders, setForwardedHeaders } from './headers.js';
import type { ProxyMetrics } from './metrics.js';
import { chargePointIdOf, type Route } from './routes.js';
import { upstreamErrorKind, upstreamTimeoutError, type Upstream } from './upstream.js';
import type { UpstreamHost } from './upstream-pool.js';
import { CLOSE_ABNORMAL, CLOSE_GOING_AWAY, FrameScanner, closeFrame } from './websocket-frames.js';

/** After the proxy sends its close frame, how long each side gets to answer before its socket is destroyed. */
const CLOSE_GRACE_MS = 2000;
/** RFC 6455 §4.1: the key is 16 random bytes, base64. */
const WEBSOCKET_KEY = /^[+/0-9A-Za-z]{22}==$/;
/** A retried upgrade: the client's early bytes (if any) were already put back into its socket by the first try. */
const NO_HEAD = Buffer.alloc(0);

const SESSION = Symbol('ocpp-edge.websocket-session');
type SessionSocket = Socket & { [SESSION]?: WebSocketSession };
type SessionRequest = IncomingMessage & { [SESSION]?: WebSocketSession };
type SessionClientRequest = ClientRequest & { [SESSION]?: WebSocketSession };

export interface WebSocketSessionsOptions {
  upstream: Upstream;
  metrics: ProxyMetrics;
  accessLog: AccessLog;
  logger: Logger;
  trustProxy: boolean;
  /** Records a handshake the proxy answered itself (refusals, upstream failures) as an HTTP request. */
  recordAnswer(req: IncomingMessage, status: number, route: string, startedAt: number): void;
}

type ClosedBy = 'client' | 'upstream' | 'proxy' | 'none';

class WebSocketSession {
  upstream: SessionSocket | undefined;
  upstreamRequest: ClientRequest | undefined;
  subprotocol: string | undefined;
  readonly fromClient = new FrameScanner();
  readonly toClient = new FrameScanner();
  closedBy: ClosedBy = 'none';
  proxyCloseCode = CLOSE_ABNORMAL;
  result = 'closed';
  closing = false;
  clientClosed = false;
  upstreamClosed = false;
  opened = false;
  /** The upstream this session counts against (least connections), from the upgrade until the session ends. */
  host: UpstreamHost | undefined;
  /** Upstreams that refused this upgrade's connection (only allocated when one did). */
  tried: Set<UpstreamHost> | undefined;
  /** Read now: a socket forgets its peer once destroyed. */
  readonly clientAddress: string;

  constructor(
    readonly owner: WebSocketSessions,
    readonly req: IncomingMessage,
    readonly client: SessionSocket,
    readonly route: Route,
    readonly chargePointId: string,
    readonly startedAt: number,
  ) {
    this.clientAddress = client.remoteAddress ?? '';
  }

  /** The proxy ends the session: a close frame to each side (if not mid-frame), then a graceful end. */
  close(code: number, reason: string, result: string): void {
    if (this.closing) return;
    this.closing = true;
    this.result = result;
    if (this.closedBy === 'none') {
      this.closedBy = 'proxy';
      this.proxyCloseCode = code;
    }
    const { client, upstream } = this;
    if (upstream) {
      upstream.unpipe(client);
      client.unpipe(upstream);
    }
    if (!client.destroyed) {
      if (this.toClient.atFrameBoundary) client.write(closeFrame(code, reason, false));
      client.setTimeout(CLOSE_GRACE_MS);
      client.resume();
      client.end();
    }
    if (upstream && !upstream.destroyed) {
      if (this.fromClient.atFrameBoundary) upstream.write(closeFrame(code, reason, true));
      upstream.setTimeout(CLOSE_GRACE_MS);
      upstream.resume();
      upstream.end();
    }
  }

  useHost(host: UpstreamHost): void {
    this.releaseHost();
    host.sessions++;
    this.host = host;
  }

  releaseHost(): void {
    if (this.host) this.host.sessions--;
    this.host = undefined;
  }

  destroy(): void {
    this.client.destroy();
    this.upstream?.destroy();
    this.upstreamRequest?.destroy();
  }

  get closeCode(): number {
    if (this.closedBy === 'client') return this.fromClient.closeCode ?? CLOSE_ABNORMAL;
    if (this.closedBy === 'upstream') return this.toClient.closeCode ?? CLOSE_ABNORMAL;
    return this.proxyCloseCode;
  }
}

export class WebSocketSessions {
  private readonly pending = new Set<WebSocketSession>();
  private readonly open = new Set<WebSocketSession>();
  private stopping = false;
  private drained: (() => void) | undefined;

  constructor(private readonly options: WebSocketSessionsOptions) {
    const ws = options.upstream.ws;
    ws.on('proxyReqWs', onUpstreamRequest);
    ws.on('open', onUpstreamOpen);
  }

  handleUpgrade(req: SessionRequest, socket: Duplex, head: Buffer, route: Route, pathname: string): void {
    const startedAt = performance.now();
    const refusal = checkHandshake(req);
    if (refusal) return this.refuse(req, socket, 400, refusal.reason, route, startedAt, refusal.headers);
    const chargePointId = chargePointIdOf(pathname, route);
    if (chargePointId === undefined) {
      return this.refuse(req, socket, 400, 'the charge point id in /ocpp/{id} must be 1 to 48 characters from A-Z a-z 0-9 - . _ ~', route, startedAt);
    }
    if (this.stopping) return this.refuse(req, socket, 503, 'the proxy is shutting down', route, startedAt);

    setForwardedHeaders(req, this.options.trustProxy);
    const client = socket as SessionSocket;
    const session = new WebSocketSession(this, req, client, route, chargePointId, startedAt);
    req[SESSION] = session;
    client[SESSION] = session;
    client.on('close', onClientClose);
    this.pending.add(session);
    const host = this.options.upstream.pool.forSession()!; // never undefined without `tried`: all down → all are tried
    session.useHost(host);
    this.options.upstream.ws.ws(req, socket, head, { target: host.url }, this.onUpgradeError);
  }

  /**
   * Shutdown: no new sessions; a close frame 1001 to every client and upstream; resolves when all sessions have
   * ended (each side gets CLOSE_GRACE_MS to answer before its socket is destroyed) or after `timeoutMs`.
   */
  closeAll(timeoutMs: number): Promise<void> {
    this.stopping = true;
    for (const session of this.pending) session.destroy();
    for (const session of this.open) session.close(CLOSE_GOING_AWAY, 'going away', 'shutdown');
    if (this.open.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        for (const session of this.open) session.destroy();
        resolve();
      }, timeoutMs);
      this.drained = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Called once per session when the upstream answered 101 and the sockets are piped. */
  opened(session: WebSocketSession, upstream: SessionSocket): void {
    this.pending.delete(session);
    if (session.client.destroyed) {
      // The client left while the upstream was answering (already counted as abandoned).
      upstream.destroy();
      session.releaseHost();
      return;
    }
    session.opened = true;
    if (session.host && !session.host.healthy) this.options.upstream.pool.succeeded(session.host);
    this.open.add(session);
    this.options.metrics.wsConnections.inc();
    const idleMs = session.route.idleTimeoutMs;
    // http-proxy-3 clears socket timeouts when it sets the sockets up; arm ours afterwards.
    session.client.setTimeout(idleMs);
    session.client.on('timeout', onSocketTimeout);
    session.client.on('data', scanFromClient);
    upstream.setTimeout(idleMs);
    upstream.on('timeout', onSocketTimeout);
    upstream.on('data', scanToClient);
    upstream.on('close', onUpstreamClose);
  }

  /** Called when a socket of the session closed; the session ends when both have. */
  socketClosed(session: WebSocketSession): void {
    if (!session.clientClosed || !(session.upstreamClosed || session.upstream === undefined)) return;
    if (!session.opened) {
      // The client left before the upstream answered: stop waiting for it.
      if (this.pending.delete(session)) this.options.metrics.wsSessions.inc({ result: 'abandoned' });
      session.upstreamRequest?.destroy();
      session.releaseHost();
      return;
    }
    if (!this.open.delete(session)) return;
    session.releaseHost();
    const { metrics, accessLog } = this.options;
    metrics.wsConnections.dec();
    metrics.wsSessions.inc({ result: session.result });
    accessLog.session({
      chargePointId: session.chargePointId,
      client: session.clientAddress,
      subprotocol: session.subprotocol,
      durationMs: Math.round(performance.now() - session.startedAt),
      bytesFromClient: session.fromClient.bytes,
      bytesToClient: session.toClient.bytes,
      closeCode: session.closeCode,
      closedBy: session.closedBy,
      result: session.result,
    });
    if (this.open.size === 0) this.drained?.();
  }

  /** The upstream could not be reached or did not answer in time: 502 or 504, never a hang. */
  private readonly onUpgradeError = (error: Error, req: SessionRequest, socket: unknown): void => {
    const session = req[SESSION];
    const kind = upstreamErrorKind(error);
    this.options.metrics.upstreamErrors.inc({ kind });
    if (!session || session.opened) {
      // A proxied session's upstream socket failed: closing is handled by the 'close' listeners.
      if (session) session.result = 'upstream_error';
      return;
    }
    const refusedBy = session.host;
    if (refusedBy && isConnectFailure(error)) {
      // Passive health check; and since the connection was never made, the upgrade can go to the next upstream.
      this.options.upstream.pool.markDown(refusedBy, 'passive', error.message);
      if (!session.client.destroyed && this.retryUpgrade(session, refusedBy)) return;
    }
    session.releaseHost();
    this.pending.delete(session);
    if (session.client.destroyed) return;
    const status = kind === 'timeout' ? 504 : 502;
    this.options.metrics.wsSessions.inc({ result: kind === 'timeout' ? 'upstream_timeout' : 'upstream_unavailable' });
    this.options.logger.warn({ err: error, kind, chargePointId: session.chargePointId }, `websocket upstream failed: ${error.message}`);
    this.refuse(req, socket as Duplex, status, status === 504 ? 'the upstream did not answer in time' : 'the upstream is unavailable', session.route, session.startedAt);
  };

  /** The upgrade again, on the healthy upstream with the fewest sessions not tried yet; false when none is left. */
  private retryUpgrade(session: WebSocketSession, refusedBy: UpstreamHost): boolean {
    const tried = (session.tried ??= new Set());
    tried.add(refusedBy);
    const next = this.options.upstream.pool.forSession(tried);
    if (!next) return false;
    session.useHost(next);
    this.options.logger.info({ from: refusedBy.label, to: next.label, chargePointId: session.chargePointId }, 'upstream refused the websocket connection, retrying on the next one');
    keepOpenAfterThisError(session.client);
    this.options.upstream.ws.ws(session.req, session.client, NO_HEAD, { target: next.url }, this.onUpgradeError);
    return true;
  }

  private refuse(req: IncomingMessage, socket: Duplex, status: number, message: string, route: Route, startedAt: number, headers = ''): void {
    if (status < 500) this.options.metrics.wsSessions.inc({ result: 'rejected' });
    writeRawError(socket, status, message, headers);
    this.options.recordAnswer(req, status, route.name, startedAt);
  }

  /** The upstream answered the upgrade with a plain HTTP response (e.g. 404 for an unknown charger). */
  declined(session: WebSocketSession, response: IncomingMessage): void {
    this.pending.delete(session);
    session.releaseHost();
    this.options.metrics.wsSessions.inc({ result: 'upstream_declined' });
    this.options.recordAnswer(session.req, response.statusCode ?? 502, session.route.name, session.startedAt);
  }
}

interface HandshakeRefusal {
  reason: string;
  headers?: string;
}

/** RFC 6455 §4.2.1, as far as a proxy must check before spending an upstream connection. */
function checkHandshake(req: IncomingMessage): HandshakeRefusal | undefined {
  if (req.method !== 'GET') return { reason: 'a WebSocket upgrade must use GET' };
  if (req.headers.upgrade?.toLowerCase() !== 'websocket') return { reason: 'Upgrade header must be websocket' };
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string' || !WEBSOCKET_KEY.test(key)) return { reason: 'Missing or invalid Sec-WebSocket-Key header' };
  if (req.headers['sec-websocket-version'] !== '13') {
    return { reason: 'Missing or unsupported Sec-WebSocket-Version header', headers: 'sec-websocket-version: 13\r\n' };
  }
  return undefined;
}

/**
 * http-proxy-3 ends the client socket (destroySoon) right after its error callback returns. When that callback
 * has just handed the socket to another upstream, that one call must do nothing; the next behaves normally again.
 */
function keepOpenAfterThisError(client: SessionSocket): void {
  // An own property shadows Socket.prototype.destroySoon once, then removes itself.
  client.destroySoon = () => {
    Reflect.deleteProperty(client, 'destroySoon');
  };
}

// Shared listeners: `this` is the emitter, the session hangs off it.

function onUpstreamRequest(proxyReq: SessionClientRequest, req: SessionRequest): void {
  const session = req[SESSION];
  if (!session) return;
  session.upstreamRequest = proxyReq;
  proxyReq[SESSION] = session;
  // Until the upstream's 101: nginx's proxy_connect_timeout for this location.
  proxyReq.setTimeout(session.route.connectTimeoutMs);
  proxyReq.on('timeout', onUpgradeTimeout);
  // Registered before http-proxy-3's own 'upgrade'/'response' listeners, so these run first.
  proxyReq.on('upgrade', onUpstreamUpgrade);
  proxyReq.on('response', onUpstreamDeclined);
}

function onUpgradeTimeout(this: ClientRequest): void {
  this.destroy(upstreamTimeoutError('the upstream did not answer the WebSocket upgrade in time'));
}

function onUpstreamUpgrade(this: SessionClientRequest, response: IncomingMessage, upstream: SessionSocket): void {
  const session = this[SESSION];
  if (!session) return;
  // From now on the session's idle timeout applies, not the upgrade's.
  this.removeListener('timeout', onUpgradeTimeout);
  overrideSecurityHeaders(response);
  const subprotocol = response.headers['sec-websocket-protocol'];
  session.subprotocol = typeof subprotocol === 'string' ? subprotocol : undefined;
  session.upstream = upstream;
  upstream[SESSION] = session;
}

function onUpstreamDeclined(this: SessionClientRequest, response: IncomingMessage): void {
  const session = this[SESSION];
  if (!session) return;
  overrideSecurityHeaders(response);
  session.owner.declined(session, response);
}

function onUpstreamOpen(upstream: SessionSocket): void {
  const session = upstream[SESSION];
  if (session) session.owner.opened(session, upstream);
}

function onClientClose(this: SessionSocket): void {
  const session = this[SESSION];
  if (!session) return;
  session.clientClosed = true;
  if (session.closedBy === 'none' && session.opened && session.fromClient.closeCode === undefined) session.closedBy = 'client';
  // Also when the client vanished without a close frame: the upstream must not stay open.
  const upstream = session.upstream;
  if (upstream && !upstream.destroyed) (upstream as Socket).destroySoon();
  session.owner.socketClosed(session);
}

function onUpstreamClose(this: SessionSocket): void {
  const session = this[SESSION];
  if (!session) return;
  session.upstreamClosed = true;
  if (session.closedBy === 'none') session.closedBy = 'upstream';
  if (!session.client.destroyed) session.client.destroySoon();
  session.owner.socketClosed(session);
}

function onSocketTimeout(this: SessionSocket): void {
  const session = this[SESSION];
  if (!session) {
    this.destroy();
    return;
  }
  // A second timeout after our close frame: that side did not answer within the grace period.
  if (session.closing) session.destroy();
  else session.close(CLOSE_GOING_AWAY, 'idle timeout', 'idle_timeout');
}

function scanFromClient(this: SessionSocket, chunk: Buffer): void {
  const session = this[SESSION]!;
  session.fromClient.scan(chunk);
  if (session.closedBy === 'none' && session.fromClient.closeCode !== undefined) session.closedBy = 'client';
}

function scanToClient(this: SessionSocket, chunk: Buffer): void {
  const session = this[SESSION]!;
  session.toClient.scan(chunk);
  if (session.closedBy === 'none' && session.toClient.closeCode !== undefined) session.closedBy = 'upstream';
}
