// The central system behind the proxy. HTTP requests are forwarded with Node's HTTP client over a keep-alive
// pool (Upstream.forward); WebSocket upgrades open their own connection (websocket.ts), since an upgraded
// socket never returns to a pool.
//
// Which upstream of the pool serves an exchange is decided in upstream-pool.ts; a request whose connect was
// refused marks that upstream down (passive check) and, when it has no body, is sent to the next healthy one.
//
// Forwarding was http-proxy-3's job until the bench measured it: with the access log and metrics off, a request
// through its ProxyServer cost the proxy 30 % more CPU than the same request through http.request (12,900 against
// 17,700 req/s on one core; docs/PERFORMANCE.md). What it did for us is here, in a few lines: the client's
// headers minus the hop-by-hop ones, the upstream's status and raw headers back with ours in front, bodies piped
// both ways, the upstream request cut when the client goes away.

import http, {
  type ClientRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import https from 'node:https';
import net, { type Socket } from 'node:net';
import type { Logger } from '../common/logger.js';
import { sendJsonError } from './errors.js';
import { SECURITY_HEADERS } from './headers.js';
import type { ProxyMetrics } from './metrics.js';
import type { Route } from './routes.js';
import { isConnectFailure, upstreamErrorKind, upstreamTimeoutError } from './upstream-errors.js';
import { UpstreamPool, type UpstreamHost } from './upstream-pool.js';

const AGENT_OPTIONS = { keepAlive: true, maxFreeSockets: 1024, timeout: 4000 } as const;

/**
 * Headers of one connection, not of the message (RFC 9110 §7.6.1), never forwarded in either direction, plus
 * Proxy-Authorization, which is meant for a proxy (us), not for the central system. Node's client and server set
 * their own Connection/Keep-Alive; Transfer-Encoding is kept, as it tells Node how to frame the body it forwards.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
]);
const SECURITY_HEADER_NAMES: ReadonlySet<string> = new Set(Object.keys(SECURITY_HEADERS));

/** One forwarded request: what its listeners need, on one object instead of closures. */
class Exchange {
  upstreamRequest: ClientRequest | undefined;
  /** Upstreams that refused this request's connection (only allocated when one did). */
  tried: Set<UpstreamHost> | undefined;
  /** The client left, or the failure was answered: later errors of this exchange are not reported again. */
  over = false;

  constructor(
    readonly owner: Upstream,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly route: Route,
    public host: UpstreamHost,
  ) {}
}

const EXCHANGE = Symbol('ocpp-edge.exchange');
type ExchangeEmitter = { [EXCHANGE]?: Exchange };

export interface UpstreamOptions {
  /** The pool to choose from; or `targets`, for a pool of those URLs with no active checks. */
  pool?: UpstreamPool;
  targets?: URL[];
  logger: Logger;
  metrics: ProxyMetrics;
}

export class Upstream {
  readonly pool: UpstreamPool;
  private readonly agent: http.Agent;
  /** For https:// upstreams, made when the first one is used. */
  private secureAgent: https.Agent | undefined;

  constructor(private readonly options: UpstreamOptions) {
    this.pool = options.pool ?? new UpstreamPool({ targets: options.targets ?? [], logger: options.logger });
    // Free sockets close after 4 s: less than the usual 5 s keep-alive of Node and uvicorn upstreams, so we do not
    // reuse a connection the upstream is closing at that very moment. Up to 1,024 are kept: with a cap below the
    // number of requests in flight (64 at first, like nginx's `keepalive 64`), every burst wider than the cap
    // closed the surplus and opened new ones for the next (connects were 3 % of the CPU at 100 connections).
    this.agent = new http.Agent(AGENT_OPTIONS);
  }

  forward(req: IncomingMessage, res: ServerResponse, route: Route): void {
    const host = this.pool.forRequest()!; // never undefined without `tried`: all down → all are tried
    const exchange = new Exchange(this, req, res, route, host);
    (res as ServerResponse & ExchangeEmitter)[EXCHANGE] = exchange;
    // The client went away before the answer was complete: the upstream request is cut too.
    res.on('close', onClientGone);
    this.send(exchange, true);
  }

  close(): void {
    this.agent.destroy();
    this.secureAgent?.destroy();
  }

  /** The keep-alive agent for https:// upstreams, made when the first one is used. */
  private secureAgentOnce(): https.Agent {
    this.secureAgent ??= new https.Agent(AGENT_OPTIONS);
    return this.secureAgent;
  }

  /** Sends the request to `exchange.host`; `withBody`: pipe the client's body (false on a retry: it was read). */
  private send(exchange: Exchange, withBody: boolean): void {
    const { req, host } = exchange;
    const options: http.RequestOptions = {
      ...(host.socketPath === undefined ? { host: host.hostname, port: host.port } : { socketPath: host.socketPath }),
      method: req.method,
      path: host.basePath + (req.url ?? '/'),
      headers: forwardedRequestHeaders(req),
      // The client's Host header goes on with the others (nginx's `proxy_set_header Host $host`); none is made up
      // from the upstream's address when an HTTP/1.0 client sent none.
      setHost: false,
    };
    const upstreamRequest = (
      host.secure
        ? https.request({
            ...options,
            agent: this.secureAgentOnce(),
            servername: net.isIP(host.hostname) ? undefined : host.hostname,
          })
        : http.request({ ...options, agent: this.agent })
    ) as ClientRequest & ExchangeEmitter;
    upstreamRequest[EXCHANGE] = exchange;
    exchange.upstreamRequest = upstreamRequest;
    upstreamRequest.on('response', onUpstreamResponse);
    upstreamRequest.on('error', onUpstreamRequestError);
    upstreamRequest.on('socket', applyUpstreamTimeouts);
    if (withBody && hasBody(req)) req.pipe(upstreamRequest);
    else upstreamRequest.end();
  }

  /** Refused or reset → 502, too slow → 504, both as JSON; after the response began, the client is cut off. */
  failed(exchange: Exchange, error: Error): void {
    if (exchange.over) return;
    const { req, res, host } = exchange;
    if (isConnectFailure(error)) {
      this.pool.markDown(host, 'passive', error.message);
      if (this.retry(exchange, host)) return;
    }
    exchange.over = true;
    const kind = upstreamErrorKind(error);
    this.options.metrics.upstreamErrors.inc({ kind });
    this.options.logger.warn({ err: error, kind, path: req.url }, `upstream request failed: ${error.message}`);
    sendJsonError(
      res,
      kind === 'timeout' ? 504 : 502,
      kind === 'timeout' ? 'the upstream did not answer in time' : 'the upstream is unavailable',
    );
  }

  /**
   * After a refused connect nothing reached the upstream, so the request may go to the next healthy upstream: only
   * when it has no body, since a body already read from the client cannot be read again.
   */
  private retry(exchange: Exchange, refusedBy: UpstreamHost): boolean {
    const { req, res } = exchange;
    if (res.headersSent || res.destroyed || hasBody(req)) return false;
    exchange.tried ??= new Set();
    const tried = exchange.tried;
    tried.add(refusedBy);
    const next = this.pool.forRequest(tried);
    if (!next) return false;
    this.options.logger.info(
      { from: refusedBy.label, to: next.label, path: req.url },
      'upstream refused the connection, retrying on the next one',
    );
    exchange.host = next;
    this.send(exchange, false);
    return true;
  }

  /** The upstream answered: status and headers (ours win), then the body, piped. */
  answered(exchange: Exchange, response: IncomingMessage): void {
    const { res, host } = exchange;
    if (!host.healthy) this.pool.succeeded(host);
    if (res.destroyed) {
      response.resume();
      return;
    }
    res.writeHead(response.statusCode ?? 502, response.statusMessage, forwardedResponseHeaders(response.rawHeaders));
    (response as IncomingMessage & ExchangeEmitter)[EXCHANGE] = exchange;
    response.on('close', onUpstreamResponseClose);
    response.pipe(res);
  }
}

/** The client's request headers for the upstream (X-Forwarded-* are already set on them, headers.ts). */
function forwardedRequestHeaders(req: IncomingMessage): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  const incoming = req.headers;
  for (const name in incoming) {
    if (!HOP_BY_HOP.has(name)) headers[name] = incoming[name];
  }
  // A DELETE or OPTIONS without a body gets an explicit empty one: some servers wait for one otherwise.
  if ((req.method === 'DELETE' || req.method === 'OPTIONS') && !hasBody(req)) headers['content-length'] = '0';
  return headers;
}

/**
 * The upstream's response headers (name case kept, repeats such as Set-Cookie as arrays), minus the hop-by-hop ones
 * and the security headers: the listener set ours on the response already, and writeHead adds these to them.
 */
function forwardedResponseHeaders(raw: string[]): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  let spelling: Map<string, string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || SECURITY_HEADER_NAMES.has(lower)) continue;
    spelling ??= new Map();
    const key = spelling.get(lower);
    if (key === undefined) {
      spelling.set(lower, name);
      headers[name] = raw[i + 1]!;
    } else {
      const previous = headers[key]!;
      headers[key] = Array.isArray(previous) ? [...previous, raw[i + 1]!] : [String(previous), raw[i + 1]!];
    }
  }
  return headers;
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

// Shared listeners: `this` is the emitter, the exchange hangs off it.

function onUpstreamResponse(this: ClientRequest & ExchangeEmitter, response: IncomingMessage): void {
  const exchange = this[EXCHANGE];
  if (exchange) exchange.owner.answered(exchange, response);
  else response.resume();
}

function onUpstreamRequestError(this: ClientRequest & ExchangeEmitter, error: Error): void {
  const exchange = this[EXCHANGE];
  // A request a retry replaced has nothing left to answer.
  if (!exchange || exchange.upstreamRequest !== this) return;
  exchange.owner.failed(exchange, error);
}

/** The upstream's body stopped before its end (the upstream died mid-response): the client's is cut too. */
function onUpstreamResponseClose(this: IncomingMessage & ExchangeEmitter): void {
  const exchange = this[EXCHANGE];
  if (!exchange || this.complete) return;
  exchange.owner.failed(
    exchange,
    Object.assign(new Error('the upstream closed the connection in the middle of its response'), {
      code: 'ECONNRESET',
    }),
  );
}

function onClientGone(this: ServerResponse & ExchangeEmitter): void {
  const exchange = this[EXCHANGE];
  if (!exchange) return;
  this[EXCHANGE] = undefined;
  if (this.writableFinished || exchange.over) return;
  // Marked first, so the error this destroy causes is not reported as the upstream's.
  exchange.over = true;
  exchange.upstreamRequest?.destroy();
}

/**
 * nginx's proxy_connect_timeout then proxy_read/send_timeout: the socket may be idle for the connect timeout
 * while connecting, then for the route's idle timeout. A keep-alive socket is already connected.
 */
function applyUpstreamTimeouts(this: ClientRequest & ExchangeEmitter, socket: Socket): void {
  const route = this[EXCHANGE]?.route;
  if (!route) return;
  this.setTimeout(socket.connecting ? route.connectTimeoutMs : route.idleTimeoutMs, onUpstreamTimeout);
  if (socket.connecting) socket.once('connect', switchToIdleTimeout.bind(this, route));
}

function switchToIdleTimeout(this: ClientRequest, route: Route): void {
  this.setTimeout(route.idleTimeoutMs);
}

function onUpstreamTimeout(this: ClientRequest): void {
  this.destroy(upstreamTimeoutError('the upstream did not answer in time'));
}
