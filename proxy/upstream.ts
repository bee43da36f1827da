// The central system behind the proxy. HTTP requests reach it through http-proxy-3's ProxyServer with a
// keep-alive pool; WebSocket upgrades open their own connection (websocket.ts), since an upgraded socket never
// returns to a pool. The ProxyServer has an 'error' listener: without one, a single refused upstream connection
// throws and takes the whole process down.
//
// Which upstream of the pool serves an exchange is decided in upstream-pool.ts; a request whose connect was
// refused marks that upstream down (passive check) and, when it has no body, is sent to the next healthy one.

import http, { type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { ProxyServer } from 'http-proxy-3';
import type { Logger } from '../common/logger.js';
import { sendJsonError } from './errors.js';
import { isConnectFailure } from './health-checks.js';
import { overrideSecurityHeaders } from './headers.js';
import type { ProxyMetrics } from './metrics.js';
import type { Route } from './routes.js';
import { UpstreamPool, type UpstreamHost } from './upstream-pool.js';

export type UpstreamErrorKind = 'refused' | 'timeout' | 'reset' | 'other';

/** The route a request was matched to, carried on the request for the proxy's event listeners. */
export const ROUTE = Symbol('ocpp-edge.route');
/** The upstream a request was sent to, and those it was already refused by (only after a retry). */
const HOST = Symbol('ocpp-edge.upstream-host');
const TRIED = Symbol('ocpp-edge.upstream-tried');
export type RoutedRequest = IncomingMessage & { [ROUTE]?: Route; [HOST]?: UpstreamHost; [TRIED]?: Set<UpstreamHost> };
type TimedSocket = Socket & { [ROUTE]?: Route };

const TIMEOUT_CODE = 'OCPP_EDGE_UPSTREAM_TIMEOUT';

export interface UpstreamOptions {
  /** The pool to choose from; or `targets`, for a pool of those URLs with no active checks. */
  pool?: UpstreamPool;
  targets?: URL[];
  logger: Logger;
  metrics: ProxyMetrics;
}

export class Upstream {
  readonly web: ProxyServer;
  readonly pool: UpstreamPool;
  private readonly agent: http.Agent;

  constructor(private readonly options: UpstreamOptions) {
    this.pool = options.pool ?? new UpstreamPool({ targets: options.targets ?? [], logger: options.logger });
    // Free sockets close after 4 s: less than the usual 5 s keep-alive of Node and uvicorn upstreams, so we do not
    // reuse a connection the upstream is closing at that very moment. Up to 1,024 are kept: with a cap below the
    // number of requests in flight (64 at first, like nginx's `keepalive 64`), every burst wider than the cap
    // closed the surplus and opened new ones for the next (connects were 3 % of the CPU at 100 connections).
    this.agent = new http.Agent({ keepAlive: true, maxFreeSockets: 1024, timeout: 4000 });
    this.web = new ProxyServer({ agent: this.agent, xfwd: false });
    this.web.on('error', this.onWebError);
    this.web.on('proxyReq', applyUpstreamTimeouts);
    this.web.on('proxyRes', overrideSecurityHeaders);
    this.web.on('proxyRes', this.onWebResponse);
  }

  forward(req: RoutedRequest, res: ServerResponse, route: Route): void {
    req[ROUTE] = route;
    const host = this.pool.forRequest()!; // never undefined without `tried`: all down → all are tried
    req[HOST] = host;
    this.web.web(req, res, { target: host.url }, this.onWebError);
  }

  close(): void {
    this.agent.destroy();
  }

  /** Refused or reset → 502, too slow → 504, both as JSON; after the response began, the client is cut off. */
  private readonly onWebError = (error: Error, req: RoutedRequest, res: ServerResponse | Socket): void => {
    const host = req[HOST];
    if (host && isConnectFailure(error)) {
      this.pool.markDown(host, 'passive', error.message);
      if (this.retry(req, res, host)) return;
    }
    const kind = upstreamErrorKind(error);
    this.options.metrics.upstreamErrors.inc({ kind });
    this.options.logger.warn({ err: error, kind, path: req.url }, `upstream request failed: ${error.message}`);
    if (!('writeHead' in res)) {
      res.destroy();
      return;
    }
    const status = kind === 'timeout' ? 504 : 502;
    sendJsonError(res, status, kind === 'timeout' ? 'the upstream did not answer in time' : 'the upstream is unavailable');
  };

  /**
   * After a refused connect nothing reached the upstream, so the request may go to the next healthy upstream: only
   * when it has no body, since a body already read from the client cannot be read again.
   */
  private retry(req: RoutedRequest, res: ServerResponse | Socket, refusedBy: UpstreamHost): boolean {
    if (!('writeHead' in res) || res.headersSent || hasBody(req)) return false;
    const tried = (req[TRIED] ??= new Set());
    tried.add(refusedBy);
    const next = this.pool.forRequest(tried);
    if (!next) return false;
    this.options.logger.info({ from: refusedBy.label, to: next.label, path: req.url }, 'upstream refused the connection, retrying on the next one');
    req[HOST] = next;
    // The request stream has ended already: an empty one in its place, so the new upstream request is ended too.
    this.web.web(req, res, { target: next.url, buffer: Readable.from([]) }, this.onWebError);
    return true;
  }

  /** Passive check, success side. */
  private readonly onWebResponse = (_proxyRes: IncomingMessage, req: RoutedRequest): void => {
    const host = req[HOST];
    if (host && !host.healthy) this.pool.succeeded(host);
  };
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

export function upstreamErrorKind(error: Error): UpstreamErrorKind {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === TIMEOUT_CODE || code === 'ETIMEDOUT') return 'timeout';
  if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'refused';
  if (code === 'ECONNRESET' || code === 'EPIPE' || error.message === 'socket hang up') return 'reset';
  return 'other';
}

export function upstreamTimeoutError(message: string): Error {
  return Object.assign(new Error(message), { code: TIMEOUT_CODE });
}

/**
 * nginx's proxy_connect_timeout then proxy_read/send_timeout: the socket may be idle for the connect timeout
 * while connecting, then for the route's idle timeout. A keep-alive socket is already connected.
 */
function applyUpstreamTimeouts(proxyReq: ClientRequest, req: RoutedRequest, _res: ServerResponse, _options: unknown, socket: TimedSocket): void {
  const route = req[ROUTE];
  if (!route) return;
  proxyReq.setTimeout(socket.connecting ? route.connectTimeoutMs : route.idleTimeoutMs);
  proxyReq.on('timeout', onUpstreamTimeout);
  if (socket.connecting) {
    socket[ROUTE] = route;
    socket.once('connect', switchToIdleTimeout);
  }
}

function switchToIdleTimeout(this: TimedSocket): void {
  const route = this[ROUTE];
  if (route) this.setTimeout(route.idleTimeoutMs);
}

function onUpstreamTimeout(this: ClientRequest): void {
  this.destroy(upstreamTimeoutError('the upstream did not answer in time'));
}
