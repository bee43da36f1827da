// WebSocket upgrades on /ocpp/{chargePointId}: the client's handshake is checked first (400 without contacting the
// upstream), then the proxy opens the upstream connection itself, writes the upgrade request, reads the answer
// (both halves of the handshake: websocket-handshake.ts) and from the 101 on forwards bytes both ways. Around that it does what nginx did:
// the connect and idle timeouts, closing one side when the other goes, one access-log line per session, and close
// frames 1001 "going away" to both sides on shutdown. The upstream is the pool's choice (least connections,
// upstream-pool.ts); a refused connect is retried on the next one.
//
// Per-connection cost matters (thousands of idle chargers, boot storms): a session is one small object found
// through a symbol on its sockets, the socket listeners are shared functions (no closures per connection), the
// idle timeout is the sockets' own inactivity timer rather than a timer reset on every message, and there is no
// HTTP client on the upstream side (http-proxy-3's upgrade path cost about a quarter of the CPU per handshake in
// profiles: a ClientRequest, a response parser and pipes per charger, see docs/PERFORMANCE.md).

import type { IncomingMessage } from 'node:http';
import net, { type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { CHARGE_POINT_ID_RULE } from '../common/charge-point-identity.js';
import type { Logger } from '../common/logger.js';
import { subprotocolLabel } from '../common/ocpp-versions.js';
import type { AccessLog } from './access-log.js';
import { writeRawError } from './errors.js';
import { setForwardedHeaders } from './headers.js';
import type { ProxyMetrics } from './metrics.js';
import { chargePointIdOf, type Route } from './routes.js';
import { isConnectFailure, upstreamErrorKind, upstreamTimeoutError } from './upstream-errors.js';
import type { UpstreamHost, UpstreamPool } from './upstream-pool.js';
import { CLOSE_ABNORMAL, CLOSE_GOING_AWAY, FrameScanner, closeFrame } from './websocket-frames.js';
import {
  checkClientHandshake,
  readResponseHead,
  upgradeRequestHead,
  type UpstreamResponseHead,
} from './websocket-handshake.js';

/** After the proxy sends its close frame, how long each side gets to answer before its socket is destroyed. */
const CLOSE_GRACE_MS = 2000;

const SESSION = Symbol('ocpp-edge.websocket-session');
const NO_BYTES = Buffer.alloc(0);
type SessionSocket = Socket & { [SESSION]?: WebSocketSession };

export interface WebSocketSessionsOptions {
  /** The upstreams to choose from (the same pool HTTP forwarding uses, so least connections counts both). */
  pool: UpstreamPool;
  metrics: ProxyMetrics;
  accessLog: AccessLog;
  logger: Logger;
  trustProxy: boolean;
  /** Records a handshake the proxy answered itself (refusals, upstream failures) as an HTTP request. */
  recordAnswer(req: IncomingMessage, status: number, route: string, startedAt: number): void;
  /** The edge limits (proxy/limits): may refuse an upgrade, and learn the upstream's answer to it. */
  limits?: {
    checkUpgrade(
      req: IncomingMessage,
      chargePointId: string,
    ): { status: number; message: string; retryAfterS: number } | undefined;
    upgradeAnswered(req: IncomingMessage, chargePointId: string, status: number): void;
  };
}

type ClosedBy = 'client' | 'upstream' | 'proxy' | 'none';
/**
 * connecting: the upgrade request is on its way, no answer yet; open: the upstream said 101 and bytes flow;
 * declined: the upstream answered with a plain response, which is passed on to the client; done: nothing left to do.
 */
type SessionState = 'connecting' | 'open' | 'declined' | 'done';

class WebSocketSession {
  state: SessionState = 'connecting';
  /** The upstream socket of the current attempt (replaced when a refused connect is retried elsewhere). */
  upstream: SessionSocket | undefined;
  /** What the upstream sent before the end of its response head was seen (rarely more than one read). */
  received: Buffer | undefined;
  subprotocol: string | undefined;
  readonly fromClient = new FrameScanner();
  readonly toClient = new FrameScanner();
  closedBy: ClosedBy = 'none';
  proxyCloseCode = CLOSE_ABNORMAL;
  result = 'closed';
  closing = false;
  clientClosed = false;
  upstreamClosed = false;
  /** The upstream this session counts against (least connections), from the upgrade until the session ends. */
  host: UpstreamHost | undefined;
  /** Upstreams that refused this upgrade's connection (only allocated when one did). */
  tried: Set<UpstreamHost> | undefined;
  /** Read now: a socket forgets its peer once destroyed. */
  readonly clientAddress: string;
  /** Over plain ws:// (the HTTP listener, --plain-ocpp-on-http) rather than TLS. */
  readonly plain: boolean;

  constructor(
    readonly owner: WebSocketSessions,
    /** Until the upstream answered (retries and refusals need it); an open session lets it go. */
    public req: IncomingMessage | undefined,
    readonly client: SessionSocket,
    public head: Buffer,
    readonly route: Route,
    readonly chargePointId: string,
    readonly startedAt: number,
  ) {
    this.clientAddress = client.remoteAddress ?? '';
    this.plain = (client as tls.TLSSocket).encrypted !== true;
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
    // From here on, what either side still sends is read and dropped (see forwardFromClient/onUpstreamBytes).
    const { client, upstream } = this;
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

  assignHost(host: UpstreamHost): void {
    this.releaseHost();
    host.sessions++;
    this.host = host;
  }

  releaseHost(): void {
    if (this.host) this.host.sessions--;
    this.host = undefined;
  }

  /** Forgets the upstream socket of a failed attempt: its late events no longer reach this session. */
  dropUpstream(): void {
    const upstream = this.upstream;
    if (!upstream) return;
    upstream[SESSION] = undefined;
    upstream.destroy();
    this.upstream = undefined;
    this.received = undefined;
  }

  destroy(): void {
    this.client.destroy();
    this.upstream?.destroy();
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

  constructor(private readonly options: WebSocketSessionsOptions) {}

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, route: Route, pathname: string): void {
    const startedAt = performance.now();
    const refusal = checkClientHandshake(req);
    if (refusal) {
      this.refuse(req, socket, 400, refusal.reason, route, startedAt, refusal.headers);
      return;
    }
    const identity = chargePointIdOf(pathname, route);
    if (identity === undefined) {
      this.refuse(req, socket, 400, CHARGE_POINT_ID_RULE, route, startedAt);
      return;
    }
    const chargePointId = identity.id;
    // Forwarded as sent: the backend accepts the '/' too (common/handshake-tolerance.ts).
    if (identity.trailingSlash) this.options.metrics.handshakeTolerances.inc({ kind: 'trailing_slash' });
    if (this.stopping) {
      this.refuse(req, socket, 503, 'the proxy is shutting down', route, startedAt);
      return;
    }
    const limited = this.options.limits?.checkUpgrade(req, chargePointId);
    if (limited) {
      const retryAfter = `retry-after: ${limited.retryAfterS}\r\n`;
      this.refuse(req, socket, limited.status, limited.message, route, startedAt, retryAfter);
      return;
    }

    setForwardedHeaders(req, this.options.trustProxy);
    const client = socket as SessionSocket;
    const session = new WebSocketSession(this, req, client, head, route, chargePointId, startedAt);
    client[SESSION] = session;
    client.on('close', onClientClose);
    this.pending.add(session);
    const host = this.options.pool.forSession()!; // never undefined without `tried`: all down → all are tried
    this.connect(session, host);
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

  /** Opens the upstream connection and sends the upgrade request (queued by the socket until it is connected). */
  private connect(session: WebSocketSession, host: UpstreamHost): void {
    session.assignHost(host);
    const upstream = openUpstreamSocket(host) as SessionSocket;
    upstream[SESSION] = session;
    session.upstream = upstream;
    // Until the upstream's 101: nginx's proxy_connect_timeout for this location.
    upstream.setTimeout(session.route.connectTimeoutMs);
    upstream.on('timeout', onUpstreamTimeout);
    upstream.on('error', onUpstreamError);
    upstream.on('close', onUpstreamClose);
    upstream.write(upgradeRequestHead(session.req!, host.basePath), 'latin1');
    // Bytes the client sent right behind its request (Node hands them over as `head`) wait for the 101: an
    // upstream that declines the upgrade and keeps its connection would read them as a request of its own, one
    // the proxy never saw (WebSocket request smuggling; test/fuzz/http-edge.test.ts).
  }

  /** The upstream's answer to the upgrade arrived: a 101 opens the session, anything else is passed on. */
  answered(session: WebSocketSession, response: UpstreamResponseHead): void {
    const upstream = session.upstream!;
    this.pending.delete(session);
    const { client } = session;
    if (client.destroyed) {
      // The client left while the upstream was answering, and its 'close' is still to come.
      session.state = 'done';
      this.options.metrics.wsSessions.inc({ result: 'abandoned' });
      session.dropUpstream();
      session.releaseHost();
      return;
    }
    if (session.host && !session.host.healthy) this.options.pool.succeeded(session.host);
    this.options.limits?.upgradeAnswered(session.req!, session.chargePointId, response.status);
    if (response.status !== 101) {
      this.declined(session, response);
      return;
    }

    session.state = 'open';
    session.subprotocol = response.subprotocol;
    // An open session lives for hours: it keeps neither the request (its headers, raw headers, parser state) nor
    // the client's early bytes.
    session.req = undefined;
    if (session.head.length > 0) upstream.write(session.head);
    session.head = NO_BYTES;
    this.open.add(session);
    this.options.metrics.wsConnections.inc();
    if (session.plain) {
      this.options.metrics.plainWsConnections.inc();
      this.options.metrics.plainWsSessions.inc();
    }
    // The only version-aware line of the proxy: OCPP 1.6 and 2.0.1 pass through alike (the backend negotiates).
    this.options.metrics.wsConnectionsBySubprotocol.inc({ subprotocol: subprotocolLabel(session.subprotocol) });
    client.write(response.head, 'latin1');
    const idleMs = session.route.idleTimeoutMs;
    client.setTimeout(idleMs);
    client.on('timeout', onSocketTimeout);
    client.on('data', forwardFromClient);
    client.on('end', onClientEnd);
    client.on('drain', resumeUpstream);
    upstream.setTimeout(idleMs);
    upstream.on('end', onUpstreamEnd);
    upstream.on('drain', resumeClient);
    if (response.rest.length > 0 && !onUpstreamBytes(upstream, response.rest, false)) upstream.pause();
  }

  /**
   * The upstream answered the upgrade with a plain HTTP response (e.g. 404 for an unknown charger, 401 for a
   * wrong password): the charger gets that response, with our security headers, then both sockets close.
   */
  private declined(session: WebSocketSession, response: UpstreamResponseHead): void {
    session.state = 'declined';
    session.releaseHost();
    const { client } = session;
    const upstream = session.upstream!;
    this.options.metrics.wsSessions.inc({ result: 'upstream_declined' });
    this.options.recordAnswer(session.req!, response.status, session.route.name, session.startedAt);
    client.write(response.head, 'latin1');
    // The rest of its body, if any, follows through onUpstreamBytes until the upstream closes (onUpstreamClose).
    if (response.rest.length > 0) client.write(response.rest);
    upstream.setTimeout(session.route.connectTimeoutMs);
  }

  /** The upgrade failed before an answer (refused, reset, too slow, malformed): retried elsewhere, or 502/504. */
  handshakeFailed(session: WebSocketSession, error: Error): void {
    if (session.state !== 'connecting') return;
    const kind = upstreamErrorKind(error);
    this.options.metrics.upstreamErrors.inc({ kind });
    session.dropUpstream();
    const refusedBy = session.host;
    if (refusedBy && isConnectFailure(error)) {
      // Passive health check; and since the connection was never made, the upgrade can go to the next upstream.
      this.options.pool.markDown(refusedBy, 'passive', error.message);
      if (!session.client.destroyed && this.retry(session, refusedBy)) return;
    }
    session.state = 'done';
    session.releaseHost();
    this.pending.delete(session);
    if (session.client.destroyed) return;
    const status = kind === 'timeout' ? 504 : 502;
    this.options.metrics.wsSessions.inc({ result: kind === 'timeout' ? 'upstream_timeout' : 'upstream_unavailable' });
    this.options.logger.warn(
      { err: error, kind, chargePointId: session.chargePointId },
      `websocket upstream failed: ${error.message}`,
    );
    this.refuse(
      session.req!,
      session.client,
      status,
      status === 504 ? 'the upstream did not answer in time' : 'the upstream is unavailable',
      session.route,
      session.startedAt,
    );
  }

  /** The upgrade again, on the healthy upstream with the fewest sessions not tried yet; false when none is left. */
  private retry(session: WebSocketSession, refusedBy: UpstreamHost): boolean {
    session.tried ??= new Set();
    const tried = session.tried;
    tried.add(refusedBy);
    const next = this.options.pool.forSession(tried);
    if (!next) return false;
    this.options.logger.info(
      { from: refusedBy.label, to: next.label, chargePointId: session.chargePointId },
      'upstream refused the websocket connection, retrying on the next one',
    );
    this.connect(session, next);
    return true;
  }

  /** An open session's upstream socket failed (reset, broken pipe): counted like any failed upstream exchange. */
  upstreamFailed(error: Error): void {
    this.options.metrics.upstreamErrors.inc({ kind: upstreamErrorKind(error) });
  }

  /** Called when a socket of the session closed. */
  socketClosed(session: WebSocketSession): void {
    if (session.state === 'connecting') {
      // The client left before the upstream answered: stop waiting for it.
      if (!session.clientClosed) return;
      session.state = 'done';
      if (this.pending.delete(session)) this.options.metrics.wsSessions.inc({ result: 'abandoned' });
      session.dropUpstream();
      session.releaseHost();
      return;
    }
    // An open session ends when both sockets have closed.
    if (session.state !== 'open' || !session.clientClosed || !session.upstreamClosed) return;
    session.state = 'done';
    this.open.delete(session);
    session.releaseHost();
    const { metrics, accessLog } = this.options;
    metrics.wsConnections.dec();
    if (session.plain) metrics.plainWsConnections.dec();
    metrics.wsConnectionsBySubprotocol.dec({ subprotocol: subprotocolLabel(session.subprotocol) });
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
      ...(session.plain && { transport: 'plain' as const }),
    });
    if (this.open.size === 0) this.drained?.();
  }

  private refuse(
    req: IncomingMessage,
    socket: Duplex,
    status: number,
    message: string,
    route: Route,
    startedAt: number,
    headers = '',
  ): void {
    if (status < 500) this.options.metrics.wsSessions.inc({ result: 'rejected' });
    writeRawError(socket, status, message, headers);
    this.options.recordAnswer(req, status, route.name, startedAt);
  }
}

/**
 * Plain-TCP upstream sockets read into this one buffer (net's `onread`) instead of a fresh 64 KB buffer and a
 * Buffer object per read: each read is handled synchronously, before the next one can overwrite it.
 */
const UPSTREAM_READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/**
 * A TCP (or, for an https:// upstream, TLS) connection to the upstream; writes queue until it is connected. TCP
 * sockets deliver what they read to onUpstreamRead; TLS sockets emit 'data' (TLS has no `onread`).
 */
function openUpstreamSocket(upstream: UpstreamHost): Socket {
  const { hostname: host, port } = upstream;
  if (upstream.secure) {
    const socket = tls.connect({
      host,
      port,
      servername: net.isIP(host) ? undefined : host,
      ALPNProtocols: ['http/1.1'],
    });
    socket.on('data', onUpstreamData);
    return socket.setNoDelay(true);
  }
  const onread = { buffer: UPSTREAM_READ_BUFFER, callback: onUpstreamRead };
  // A unix: upstream: the same byte pipe over a Unix domain socket (no Nagle there to turn off).
  if (upstream.socketPath !== undefined) return net.connect({ path: upstream.socketPath, onread });
  return net.connect({ host, port, noDelay: true, onread });
}

// Shared listeners: `this` is the socket, the session hangs off it.

/** What a plain-TCP upstream read, in the shared buffer (valid only during this call); false pauses the socket. */
function onUpstreamRead(this: SessionSocket, length: number, buffer: Buffer): boolean {
  return onUpstreamBytes(this, buffer.subarray(0, length), true);
}

function onUpstreamData(this: SessionSocket, chunk: Buffer): void {
  if (!onUpstreamBytes(this, chunk, false)) this.pause();
}

/** Bytes from the upstream, whatever the session's state; `borrowed`: the memory is reused after this call. */
function onUpstreamBytes(upstream: SessionSocket, chunk: Buffer, borrowed: boolean): boolean {
  const session = upstream[SESSION];
  if (!session || session.closing) return true;
  const client = session.client;
  if (session.state === 'open') {
    session.toClient.scan(chunk);
    if (session.closedBy === 'none' && session.toClient.closeCode !== undefined) session.closedBy = 'upstream';
    if (!client.writable) return true;
    // A TLS socket encrypts (copies) what it is given at once, unless earlier writes are still queued in front.
    return client.write(borrowed && client.writableLength > 0 ? Buffer.from(chunk) : chunk);
  }
  if (session.state === 'connecting') {
    const owned = borrowed ? Buffer.from(chunk) : chunk;
    receiveResponseHead(session, session.received ? Buffer.concat([session.received, owned]) : owned);
    return true;
  }
  // declined: the rest of the upstream's refusal, until it closes (its 'close' ends the client).
  if (session.state === 'declined' && client.writable) client.write(borrowed ? Buffer.from(chunk) : chunk);
  return true;
}

function receiveResponseHead(session: WebSocketSession, received: Buffer): void {
  const result = readResponseHead(received);
  if (result.complete) {
    session.received = undefined;
    session.owner.answered(session, result.response);
  } else if (result.error) {
    session.owner.handshakeFailed(session, new Error(result.error));
  } else {
    session.received = received;
  }
}

function onUpstreamError(this: SessionSocket, error: Error): void {
  const session = this[SESSION];
  if (!session) return;
  if (session.state === 'connecting') session.owner.handshakeFailed(session, error);
  else if (session.state === 'open') {
    // An open session's upstream failed: closing is handled by the 'close' listeners.
    session.result = 'upstream_error';
    session.owner.upstreamFailed(error);
  }
}

function onUpstreamTimeout(this: SessionSocket): void {
  const session = this[SESSION];
  if (session?.state === 'connecting') {
    session.owner.handshakeFailed(
      session,
      upstreamTimeoutError('the upstream did not answer the WebSocket upgrade in time'),
    );
  } else {
    onSocketTimeout.call(this);
  }
}

function onClientClose(this: SessionSocket): void {
  const session = this[SESSION];
  if (!session) return;
  session.clientClosed = true;
  if (session.closedBy === 'none' && session.state === 'open' && session.fromClient.closeCode === undefined)
    session.closedBy = 'client';
  // Also when the client vanished without a close frame: the upstream must not stay open.
  const upstream = session.upstream;
  if (upstream && !upstream.destroyed && session.state !== 'connecting') upstream.destroySoon();
  session.owner.socketClosed(session);
}

function onUpstreamClose(this: SessionSocket): void {
  const session = this[SESSION];
  if (!session) return;
  if (session.state === 'connecting') {
    // Closed before the end of its answer (an 'error' would have come first and dropped this socket).
    session.owner.handshakeFailed(
      session,
      Object.assign(new Error('the upstream closed the connection before answering the upgrade'), {
        code: 'ECONNRESET',
      }),
    );
    return;
  }
  session.upstreamClosed = true;
  if (session.closedBy === 'none') session.closedBy = 'upstream';
  if (!session.client.destroyed) session.client.destroySoon();
  session.owner.socketClosed(session);
}

function onSocketTimeout(this: SessionSocket): void {
  const session = this[SESSION];
  if (session?.state !== 'open') {
    this.destroy();
    return;
  }
  // A second timeout after our close frame: that side did not answer within the grace period.
  if (session.closing) session.destroy();
  else session.close(CLOSE_GOING_AWAY, 'idle timeout', 'idle_timeout');
}

// Forwarding after the 101: one listener per direction (onUpstreamBytes for the other one) that scans the frames and
// writes to the other side, pausing the reader while the writer's buffer is full (what stream.pipe does, without
// its per-pipe closures).

function forwardFromClient(this: SessionSocket, chunk: Buffer): void {
  const session = this[SESSION]!;
  if (session.closing) return;
  session.fromClient.scan(chunk);
  if (session.closedBy === 'none' && session.fromClient.closeCode !== undefined) session.closedBy = 'client';
  const upstream = session.upstream!;
  if (upstream.writable && !upstream.write(chunk)) this.pause();
}

function resumeUpstream(this: SessionSocket): void {
  const session = this[SESSION];
  if (session && !session.closing) session.upstream?.resume();
}

function resumeClient(this: SessionSocket): void {
  const session = this[SESSION];
  if (session && !session.closing) session.client.resume();
}

/** A side that finished sending (FIN) ends the other side's writing too, as a pipe would. */
function onClientEnd(this: SessionSocket): void {
  const upstream = this[SESSION]?.upstream;
  if (upstream && !upstream.writableEnded) upstream.end();
}

function onUpstreamEnd(this: SessionSocket): void {
  const client = this[SESSION]?.client;
  if (client && !client.writableEnded) client.end();
}
