// The plain-HTTP listener (port 80): answers ACME http-01 challenges from the challenge store and sends
// everything else to HTTPS with a 301 that keeps path and query. The host in the Location is always one of ours:
// a request for any other Host goes to the primary domain, so this can never serve as an open redirect.
//
// With --plain-ocpp-on-http (off by default) one thing more: WebSocket upgrades under /ocpp/ are proxied like
// those on the HTTPS listener, for security profile 1 chargers (Basic auth over ws://). They carry the transport
// header `plain` (common/transport-header.ts) and a client-certificate verdict of NONE, whatever the client sent;
// the backend accepts them only for charge points of profile 1. Any other upgrade, and every request, still gets
// the redirect.
//
// The edge limits (proxy/limits/edge-limits.ts) hold here too, with or without the flag: the global ceiling, bans,
// new connections a second and concurrent connections per address (a request over it: 429; a plain /ocpp/
// upgrade: 503 from the WebSocket sessions, which also apply the charge point bans).

import http, { type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { setClientCertificateHeaders } from '../../common/client-certificate-headers.js';
import type { Logger } from '../../common/logger.js';
import { writeRawHttpResponse } from '../../common/raw-http-response.js';
import { answerRefusal, type EdgeLimits } from '../limits/edge-limits.js';
import type { ProxyMetrics } from '../metrics.js';
import { parseRequestTarget } from '../request-target.js';
import { matchRoute, type Route } from '../routes.js';
import type { ChallengeStore } from '../tls/types.js';
import type { WebSocketSessions } from '../websocket.js';

const CHALLENGE_PREFIX = '/.well-known/acme-challenge/';

export interface RedirectListenerOptions {
  challenges: ChallengeStore;
  /** Names we serve (lower-case); the first is the primary. Read per request: certificates may add names. */
  domains(): string[];
  /** Port clients reach HTTPS on; omitted from the Location when 443. */
  httpsPort(): number;
  headerTimeoutMs: number;
  metrics: ProxyMetrics;
  logger: Logger;
  /** The edge limits, shared with the HTTPS listener; none when undefined. */
  limits?: EdgeLimits;
  /** --plain-ocpp-on-http: the routes and the sessions (the HTTPS listener's) /ocpp/ upgrades go to. */
  plainOcpp?: { routes: Route[]; websockets: WebSocketSessions };
}

export function createRedirectServer(options: RedirectListenerOptions): http.Server {
  const server = http.createServer(
    { headersTimeout: options.headerTimeoutMs, requestTimeout: options.headerTimeoutMs * 3 },
    (req, res) => {
      const refusal = options.limits?.checkRequest(req);
      if (refusal) {
        answerRefusal(res, refusal, (response, status, message) => {
          response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${message}\n`);
          options.metrics.httpRequests.inc({ route: 'redirect', status });
        });
        return;
      }
      const url = req.url ?? '/';
      if (url.startsWith(CHALLENGE_PREFIX)) {
        answerChallenge(url.slice(CHALLENGE_PREFIX.length), res, options);
        return;
      }
      res
        .writeHead(301, {
          location: redirectLocation(req, options),
          'content-type': 'text/plain; charset=utf-8',
          'content-length': 0,
          connection: 'close',
        })
        .end();
      options.metrics.httpRequests.inc({ route: 'redirect', status: 301 });
    },
  );
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    writeRawHttpResponse(socket, error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400);
  });
  options.limits?.attach(server, 'plain');
  const { plainOcpp } = options;
  if (plainOcpp) server.on('upgrade', (req, socket, head) => plainUpgrade(req, socket, head, plainOcpp, options));
  return server;
}

/** --plain-ocpp-on-http: an /ocpp/ upgrade is proxied; any other is redirected like a request. */
function plainUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  plainOcpp: NonNullable<RedirectListenerOptions['plainOcpp']>,
  options: RedirectListenerOptions,
): void {
  socket.on('error', () => socket.destroy());
  const target = parseRequestTarget(req.url);
  const route = target.ok ? matchRoute(plainOcpp.routes, target.pathname) : undefined;
  if (!target.ok || !route?.websocket) {
    writeRawHttpResponse(socket, 301, { headerLines: `location: ${redirectLocation(req, options)}\r\n` });
    options.metrics.httpRequests.inc({ route: 'redirect', status: 301 });
    return;
  }
  // No TLS, so no certificate: whatever verdict a client wrote itself is replaced by NONE.
  setClientCertificateHeaders(req.headers, { verify: 'NONE' });
  plainOcpp.websockets.handleUpgrade(req, socket, head, route, target.pathname);
}

function redirectLocation(req: IncomingMessage, options: RedirectListenerOptions): string {
  const url = req.url ?? '/';
  return `https://${redirectHost(req.headers.host, options.domains())}${portSuffix(options.httpsPort())}${url.startsWith('/') ? url : '/'}`;
}

function answerChallenge(token: string, res: http.ServerResponse, options: RedirectListenerOptions): void {
  options.challenges.get(token).then(
    (keyAuthorization) => {
      const status = keyAuthorization === undefined ? 404 : 200;
      res
        .writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
        .end(keyAuthorization ?? 'not found\n');
      options.metrics.httpRequests.inc({ route: 'acme_challenge', status });
      options.logger.info({ token, status }, 'acme challenge requested');
    },
    (error: Error) => {
      options.logger.error({ err: error, token }, 'cannot read acme challenge');
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('error\n');
      options.metrics.httpRequests.inc({ route: 'acme_challenge', status: 500 });
    },
  );
}

/** The request's host when it is one of ours (port and case ignored), else the primary domain. */
export function redirectHost(hostHeader: string | undefined, domains: string[]): string {
  const host = (hostHeader ?? '').toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
  return domains.includes(host) && !host.startsWith('*') ? host : domains[0];
}

function portSuffix(port: number): string {
  return port === 443 ? '' : `:${port}`;
}
