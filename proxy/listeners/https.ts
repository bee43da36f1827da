// The HTTPS/WSS listener (port 443): TLS with SNI from the certificate store, then requests and upgrades handled
// like an `http.createServer` app. Requests are routed and forwarded to the upstream; upgrades go to the
// WebSocket sessions. Malformed requests, slow headers and bad TLS are answered or cut here, and the listener
// keeps serving everyone else.

import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import {
  CONNECTION_HEADER_TOLERANCE,
  isUpgradeWithoutConnectionHeader,
  promoteToUpgrade,
} from '../../common/connectionless-upgrade.js';
import type { Logger } from '../../common/logger.js';
import type { AccessLog } from '../access-log.js';
import type { ClientIdentity } from '../client-identity.js';
import { sendJsonError, writeRawError } from '../errors.js';
import { setForwardedHeaders, setSecurityHeaders } from '../headers.js';
import { limitBody } from '../limits/body-size.js';
import { answerRefusal, type EdgeLimits } from '../limits/edge-limits.js';
import type { ProxyMetrics } from '../metrics.js';
import { parseRequestTarget } from '../request-target.js';
import { isPrivatePath, matchRoute, type Route } from '../routes.js';
import { contextOptions, type MemoryCertificateStore } from '../tls/certificate-store.js';
import { TlsSessionCache } from '../tls/session-cache.js';
import type { Upstream } from '../upstream.js';
import type { UpstreamPool } from '../upstream-pool.js';
import { WebSocketSessions } from '../websocket.js';

/** Request line plus headers; nginx's large_client_header_buffers allows 4 × 8 KB, Node defaults to 16 KB. */
const MAX_HEADER_BYTES = 16 * 1024;

export interface HttpsListenerOptions {
  store: MemoryCertificateStore;
  routes: Route[];
  /** Forwards HTTP requests. */
  upstream: Upstream;
  /** The upstreams WebSocket sessions choose from (the forwarder's own pool). */
  pool: UpstreamPool;
  metrics: ProxyMetrics;
  accessLog: AccessLog;
  logger: Logger;
  trustProxy: boolean;
  /** --header-timeout: for the request headers, once the TLS handshake is done. */
  headerTimeoutMs: number;
  /** --tls-handshake-timeout: from the TCP connect to the end of the TLS handshake. */
  tlsHandshakeTimeoutMs: number;
  /** --tls-ticket-keys (proxy/tls/ticket-keys.ts); undefined: random keys of this process's own. */
  ticketKeys?: Buffer;
  /** The client certificate verdict forwarded to the upstream (--client-ca, --client-crl). */
  clientIdentity: ClientIdentity;
  /** Connection and request limits and bans (proxy/limits); none when undefined. */
  limits?: EdgeLimits;
  /** --max-body-size in bytes; undefined: unbounded. */
  maxBodyBytes?: number;
}

export class HttpsListener {
  readonly server: https.Server;
  readonly websockets: WebSocketSessions;
  private inFlight = 0;
  private stopping = false;
  private idle: (() => void) | undefined;

  constructor(private readonly options: HttpsListenerOptions) {
    const primary = options.store.lookup(undefined);
    if (!primary) throw new Error('no certificate installed before the HTTPS listener started');
    this.server = https.createServer({
      ...options.store.tlsOptions,
      // Ask every client for a certificate (security profile 3) but never refuse the handshake for lacking one or
      // for a bad one: profile-2 chargers share the port, and the backend decides per charger from the verdict the
      // proxy forwards (setClientCertificateHeaders). Without --client-ca nobody is asked.
      requestCert: options.clientIdentity.trust !== undefined,
      rejectUnauthorized: false,
      // Clients without SNI (connecting by IP address) get these; SNICallback is not called for them.
      ...contextOptions({}, options.store.certificatesFor(undefined)),
      SNICallback: (serverName, done) => {
        // A name the primary certificates cover keeps the server's own context: switching contexts in the SNI
        // callback carries only its current certificate over on Node 24 (node:tls copies certificate, key and
        // chain, not OpenSSL's whole set), which would serve just one of an ECDSA and an RSA certificate.
        const context = options.store.contextFor(serverName);
        done(null, context === options.store.contextFor(undefined) ? undefined : context);
      },
      handshakeTimeout: options.tlsHandshakeTimeoutMs,
      headersTimeout: options.headerTimeoutMs,
      requestTimeout: Math.max(300_000, options.headerTimeoutMs),
      // How often Node checks the header and request timeouts (its default of 30 s would let slow headers linger).
      connectionsCheckingInterval: Math.min(1000, options.headerTimeoutMs / 2),
      maxHeaderSize: MAX_HEADER_BYTES,
      noDelay: true,
      ticketKeys: options.ticketKeys,
    });
    new TlsSessionCache().attach(this.server);
    this.websockets = new WebSocketSessions({
      pool: options.pool,
      metrics: options.metrics,
      accessLog: options.accessLog,
      logger: options.logger,
      trustProxy: options.trustProxy,
      recordAnswer: (req, status, route, startedAt) => this.record(req, status, route, startedAt, 0, true),
      limits: options.limits,
    });
    options.limits?.attach(this.server, 'tls');
    this.server.on('request', this.onRequest);
    this.server.on('upgrade', this.onUpgrade);
    this.server.on('clientError', this.onClientError);
    this.server.on('tlsClientError', this.onTlsClientError);
    options.store.onChange(() => this.refreshDefaultCertificate());
  }

  /**
   * SIGTERM, once the server stopped accepting: let requests in flight finish for up to `timeoutMs`, close idle keep-alive
   * connections as they become idle, then cut whatever is left.
   */
  async drain(timeoutMs: number): Promise<void> {
    this.stopping = true;
    this.server.closeIdleConnections();
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.server.closeAllConnections();
  }

  private readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const startedAt = performance.now();
    const target = parseRequestTarget(req.url);
    const route = target.ok ? matchRoute(this.options.routes, target.pathname) : undefined;
    // On /ocpp/ only: an upgrade without "Connection: Upgrade" (a known charger's firmware) goes to onUpgrade.
    if (route?.websocket && isUpgradeWithoutConnectionHeader(req)) {
      this.options.metrics.handshakeTolerances.inc({ kind: CONNECTION_HEADER_TOLERANCE });
      promoteToUpgrade(req, res, (socket) => {
        writeRawError(socket, 400, 'Connection header must name upgrade');
        this.record(req, 400, route.name, startedAt, 0, true);
      });
      return;
    }
    setSecurityHeaders(res);
    if (this.stopping) res.setHeader('connection', 'close');
    this.inFlight++;
    res.once('close', () => this.finished(req, res, route, startedAt));
    if (!target.ok) {
      sendJsonError(res, 400, target.reason);
      return;
    }
    if (isPrivatePath(target.pathname)) {
      sendJsonError(res, 404, 'not served on the public listener (metrics are on the private metrics port)');
      return;
    }
    const refusal = this.options.limits?.checkRequest(req, route!);
    if (refusal) {
      answerRefusal(res, refusal, sendJsonError);
      return;
    }
    const { maxBodyBytes, limits } = this.options;
    if (maxBodyBytes !== undefined && !limitBody(req, res, maxBodyBytes, () => limits?.countRefusal('body_size')))
      return;
    setForwardedHeaders(req, this.options.trustProxy);
    this.options.clientIdentity.setHeaders(req);
    // Node already answered `100 Continue` to the client, and the body is forwarded as it comes: the upstream
    // has nothing to wait for.
    delete req.headers.expect;
    this.options.upstream.forward(req, res, route!);
  };

  private finished(req: IncomingMessage, res: ServerResponse, route: Route | undefined, startedAt: number): void {
    this.inFlight--;
    // 499 (nginx's "client closed request"): the connection ended before any response was sent.
    const status = res.headersSent ? res.statusCode : 499;
    this.record(
      req,
      status,
      route?.name ?? 'invalid',
      startedAt,
      Number(res.getHeader('content-length') ?? 0),
      route?.accessLog ?? true,
    );
    if (this.stopping) this.server.closeIdleConnections();
    if (this.inFlight === 0) this.idle?.();
  }

  private record(
    req: IncomingMessage,
    status: number,
    route: string,
    startedAt: number,
    contentLength: number,
    log: boolean,
  ): void {
    const durationMs = performance.now() - startedAt;
    this.options.metrics.httpRequests.inc({ route, status });
    this.options.metrics.httpRequestDuration.observe({ route }, durationMs / 1000);
    if (!log) return;
    this.options.accessLog.request({
      method: req.method ?? '',
      path: req.url ?? '',
      status,
      route,
      durationMs: Math.round(durationMs * 10) / 10,
      client: req.socket.remoteAddress ?? '',
      contentLength,
      userAgent: req.headers['user-agent'],
    });
  }

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Node leaves error handling of upgraded sockets to us; a refused handshake still has to be written to it.
    socket.on('error', ignoreSocketError);
    const startedAt = performance.now();
    const target = parseRequestTarget(req.url);
    if (!target.ok) {
      writeRawError(socket, 400, target.reason);
      this.record(req, 400, 'invalid', startedAt, 0, true);
      return;
    }
    const route = matchRoute(this.options.routes, target.pathname);
    if (!route.websocket) {
      writeRawError(socket, 400, 'WebSocket upgrades are served under /ocpp/ only');
      this.record(req, 400, route.name, startedAt, 0, true);
      return;
    }
    this.options.clientIdentity.setHeaders(req);
    this.websockets.handleUpgrade(req, socket, head, route, target.pathname);
  };

  /** Malformed requests, oversized headers (431) and headers that did not arrive in time (408, then closed). */
  private readonly onClientError = (error: NodeJS.ErrnoException, socket: Duplex): void => {
    // A TLS failure (a handshake that timed out, say) is no malformed HTTP request: tlsClientError counted it, and
    // the client gets no HTTP answer it never asked for.
    if (
      error.code === 'ECONNRESET' ||
      error.code?.startsWith('ERR_TLS_') ||
      error.code?.startsWith('ERR_SSL_') ||
      !socket.writable
    ) {
      socket.destroy();
      return;
    }
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const message =
      status === 431
        ? 'request headers too large'
        : status === 408
          ? 'request headers not received in time'
          : 'malformed request';
    this.options.metrics.httpRequests.inc({ route: 'invalid', status });
    this.options.logger.debug({ err: error, status }, 'client error');
    writeRawError(socket, status, message);
  };

  private readonly onTlsClientError = (error: Error, socket: TLSSocket): void => {
    // Closed at accept by the limits: counted there, under its reason.
    if (this.options.limits?.refusedAtAccept(socket)) return;
    this.options.metrics.tlsHandshakeErrors.inc();
    this.options.logger.debug({ err: error, client: socket.remoteAddress }, `tls handshake failed: ${error.message}`);
  };

  /** New handshakes without SNI get the primary certificate as it is now; ticket keys survive the swap. */
  private refreshDefaultCertificate(): void {
    const primary = this.options.store.certificatesFor(undefined);
    if (primary.length === 0) return;
    const ticketKeys = this.server.getTicketKeys();
    this.server.setSecureContext(contextOptions(this.options.store.tlsOptions, primary));
    this.server.setTicketKeys(ticketKeys);
  }
}

function ignoreSocketError(): void {}
