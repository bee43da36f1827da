// The edge's limits, on the HTTPS listener and the HTTP one (port 80) alike, as nginx applies limit_conn to each
// server block: hooked in by proxy/listeners/https.ts, proxy/listeners/http-redirect.ts and proxy/websocket.ts
// (which also takes the plain ws:// upgrades of --plain-ocpp-on-http):
//
//   at accept, before TLS (nothing can be answered yet, so over-limit connections are closed; that is also what
//   makes a raw TLS flood cheap): the global ceiling (one count over both listeners, beside each server's
//   net.Server#maxConnections), banned addresses, new connections a second per address (token bucket, one bucket
//   per address for both listeners), TLS handshakes in progress per address (HTTPS only: port 80 has none);
//   at the request: concurrent connections per address (nginx limit_conn: the upgrade gets 503, a request 429,
//   both with Retry-After), requests a second on /api/ (nginx limit_req, 429), bans again (for --trust-proxy
//   and for bans imposed while a connection was open), charge point id bans at the upgrade;
//   after the upgrade: the central system's 401/403 answers feed the ban policy (ban-policy.ts).
//
// With --trust-proxy the TCP peer is a balancer that carries every client's connections: the connection-level
// per-address limits would throttle the balancer, so they are not applied (limit connections at the balancer);
// the request-level ones key on the address it forwards in X-Forwarded-For.

import type { IncomingMessage, ServerResponse } from 'node:http';
import net, { type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../../common/logger.js';
import type { Route } from '../routes.js';
import type { BanKind, BanList } from './ban-list.js';
import { BanPolicy } from './ban-policy.js';
import { clientKey, requestAddress } from './client-address.js';
import type { LimitMetrics, LimitReason } from './metrics.js';
import { TokenBuckets } from './token-bucket.js';

/** How long a client over the concurrency limit is told to wait (nginx gives no hint; chargers back off anyway). */
const CONCURRENCY_RETRY_AFTER_S = 30;
/** accept() failures (EMFILE) are logged at most this often; each is counted. */
const ACCEPT_ERROR_LOG_INTERVAL_MS = 10_000;

export interface EdgeLimitsOptions {
  trustProxy: boolean;
  maxConnections: number;
  connectionsPerAddress: number;
  connectionRate: number;
  connectionBurst: number;
  tlsHandshakesPerAddress: number;
  apiRate: number;
  apiBurst: number;
  ipv6Prefix: number;
  failuresPerId: number;
  idsPerAddress: number;
  addressRatio: number;
  banWindowMs: number;
  banMs: number;
  maxBanMs: number;
  /** --ban-ignore: addresses and CIDR networks. */
  banIgnore: readonly string[];
}

/** The listener a connection came in on: only 'tls' connections have a handshake to account for. */
export type ListenerTransport = 'tls' | 'plain';

export interface Refusal {
  status: number;
  message: string;
  retryAfterS: number;
  reason: LimitReason;
}

/** What the limits know of one accepted connection, on its raw socket and then on its TLS socket. */
interface ConnectionState {
  key: string;
  handshaking: boolean;
  /** Accepted while the address already held its limit: its first request is refused. */
  overLimit: boolean;
}

const STATE = Symbol('ocpp-edge.limits');
const REFUSED = Symbol('ocpp-edge.limits.refused');
type TrackedSocket = Socket & { [STATE]?: ConnectionState; [REFUSED]?: true; _parent?: TrackedSocket };

export class EdgeLimits {
  /** Connections open on every attached listener: the global ceiling is one budget of descriptors. */
  private open = 0;
  private readonly connections = new Map<string, number>();
  private readonly handshakes = new Map<string, number>();
  private readonly connectionBuckets: TokenBuckets | undefined;
  private readonly apiBuckets: TokenBuckets | undefined;
  private readonly policy: BanPolicy;
  private readonly ignored = new net.BlockList();
  private acceptErrorsLoggedAt = 0;

  constructor(
    private readonly options: EdgeLimitsOptions,
    readonly bans: BanList,
    private readonly metrics: LimitMetrics,
    private readonly logger: Logger,
  ) {
    if (options.connectionRate > 0)
      this.connectionBuckets = new TokenBuckets(options.connectionRate, options.connectionBurst);
    if (options.apiRate > 0) this.apiBuckets = new TokenBuckets(options.apiRate, options.apiBurst);
    for (const entry of options.banIgnore) {
      const [address, prefix] = entry.split('/') as [string, string | undefined];
      const family = net.isIPv6(address) ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.ignored.addAddress(address, family);
      else this.ignored.addSubnet(address, Number(prefix), family);
    }
    this.policy = new BanPolicy(
      bans,
      {
        failuresPerId: options.failuresPerId,
        idsPerAddress: options.idsPerAddress,
        addressRatio: options.addressRatio,
        windowMs: options.banWindowMs,
        banMs: options.banMs,
        maxBanMs: options.maxBanMs,
        ignored: (key) => this.isIgnored(key),
        onBan: (kind: BanKind) => metrics.bans.inc({ kind }),
      },
      logger,
    );
  }

  /** Installs the accept-time checks and the global ceiling on a listener (the HTTPS one: `tls`). */
  attach(server: net.Server, transport: ListenerTransport): void {
    if (Number.isFinite(this.options.maxConnections)) server.maxConnections = this.options.maxConnections;
    server.on('drop', () => this.metrics.refusals.inc({ reason: 'max_connections' }));
    server.prependListener('connection', (socket: Socket) => this.accepted(socket as TrackedSocket, transport));
    if (transport === 'tls')
      server.on('secureConnection', (socket: TLSSocket) => this.secured(socket as unknown as TrackedSocket));
    // After listen(): accept() failing (EMFILE, ENFILE) must neither crash the process nor spin. libuv already
    // sheds the waiting connection with its reserved descriptor; what reaches here is counted and logged.
    server.on('error', (error: NodeJS.ErrnoException) => {
      this.metrics.refusals.inc({ reason: 'accept_error' });
      const now = Date.now();
      if (now - this.acceptErrorsLoggedAt < ACCEPT_ERROR_LOG_INTERVAL_MS) return;
      this.acceptErrorsLoggedAt = now;
      this.logger.error(
        { err: error, code: error.code },
        `accepting a connection failed (${error.code ?? error.message}): at the open-file limit? See --max-connections`,
      );
    });
  }

  /** A socket the limits closed at accept (its TLS error is not a handshake failure worth counting). */
  refusedAtAccept(socket: Socket): boolean {
    const raw = (socket as TrackedSocket)._parent ?? (socket as TrackedSocket);
    return raw[REFUSED] === true;
  }

  /** Checks an HTTP request before it is forwarded (no route: port 80's redirects); the caller answers a refusal. */
  checkRequest(req: IncomingMessage, route?: Route): Refusal | undefined {
    const key = this.requestKey(req);
    const common = this.checkCommon(req, key, 429);
    if (common) return common;
    if (route?.name === 'api' && this.apiBuckets) {
      const waitMs = this.apiBuckets.take(key);
      if (waitMs > 0)
        return this.refused('api_rate', 429, 'too many requests on /api/ from this address', waitMs / 1000);
    }
    return undefined;
  }

  /** Checks a WebSocket upgrade of `chargePointId` before the upstream is contacted. */
  checkUpgrade(req: IncomingMessage, chargePointId: string): Refusal | undefined {
    const key = this.requestKey(req);
    const common = this.checkCommon(req, key, 503);
    if (common) return common;
    const ban = this.bans.find('charge_point', chargePointId);
    if (ban) {
      return this.refused(
        'banned_charge_point',
        429,
        'this charge point id is banned for a while after repeated authentication failures',
        (ban.until - Date.now()) / 1000,
      );
    }
    return undefined;
  }

  /** The upstream's answer to an upgrade: 401/403 count towards bans, 101 as a success of the address. */
  upgradeAnswered(req: IncomingMessage, chargePointId: string, status: number): void {
    if (status === 101) {
      this.policy.succeeded(this.requestKey(req), chargePointId);
      return;
    }
    if (status !== 401 && status !== 403) return;
    this.metrics.authFailures.inc({ status });
    this.policy.failed(this.requestKey(req), chargePointId, status);
  }

  /** A refusal decided elsewhere (the body size), counted with the others. */
  countRefusal(reason: LimitReason): void {
    this.metrics.refusals.inc({ reason });
  }

  /** The key of an address as limits and bans use it (for `bans lift`). */
  keyOf(address: string): string {
    return clientKey(address, this.options.ipv6Prefix);
  }

  private checkCommon(req: IncomingMessage, key: string, concurrencyStatus: number): Refusal | undefined {
    const ban = this.bans.find('address', key);
    if (ban) {
      return this.refused(
        'banned_address',
        429,
        'this address is banned for a while after repeated authentication failures',
        (ban.until - Date.now()) / 1000,
      );
    }
    const state = stateOf(req.socket as TrackedSocket);
    if (state?.overLimit) {
      return this.refused(
        'connections_per_address',
        concurrencyStatus,
        'too many connections from this address',
        CONCURRENCY_RETRY_AFTER_S,
      );
    }
    return undefined;
  }

  private refused(reason: LimitReason, status: number, message: string, retryAfterS: number): Refusal {
    this.metrics.refusals.inc({ reason });
    return { status, message, reason, retryAfterS: Math.max(1, Math.ceil(retryAfterS)) };
  }

  private requestKey(req: IncomingMessage): string {
    return clientKey(requestAddress(req, this.options.trustProxy), this.options.ipv6Prefix);
  }

  private accepted(socket: TrackedSocket, transport: ListenerTransport): void {
    if (this.open >= this.options.maxConnections) {
      this.refuseAtAccept(socket, 'max_connections');
      return;
    }
    this.open += 1;
    socket.once('close', () => (this.open -= 1));
    if (this.options.trustProxy) return;
    const key = clientKey(socket.remoteAddress ?? '', this.options.ipv6Prefix);
    const tls = transport === 'tls';
    const reason = this.acceptRefusal(key, tls);
    if (reason) {
      this.refuseAtAccept(socket, reason);
      return;
    }
    const connections = this.connections.get(key) ?? 0;
    const limit = this.options.connectionsPerAddress;
    const state: ConnectionState = { key, handshaking: tls, overLimit: limit > 0 && connections >= limit };
    socket[STATE] = state;
    this.connections.set(key, connections + 1);
    if (tls) increment(this.handshakes, key);
    socket.once('close', () => {
      decrement(this.connections, key);
      if (state.handshaking) decrement(this.handshakes, key);
    });
  }

  private refuseAtAccept(socket: TrackedSocket, reason: LimitReason): void {
    this.metrics.refusals.inc({ reason });
    socket[REFUSED] = true;
    socket.destroy();
  }

  private acceptRefusal(key: string, tls: boolean): LimitReason | undefined {
    if (this.bans.find('address', key)) return 'banned_address';
    const handshakeLimit = this.options.tlsHandshakesPerAddress;
    if (tls && handshakeLimit > 0 && (this.handshakes.get(key) ?? 0) >= handshakeLimit) return 'tls_handshakes';
    if (this.connectionBuckets && this.connectionBuckets.take(key) > 0) return 'connection_rate';
    return undefined;
  }

  private secured(socket: TrackedSocket): void {
    const state = socket._parent?.[STATE];
    if (!state) return;
    socket[STATE] = state;
    state.handshaking = false;
    decrement(this.handshakes, state.key);
  }

  private isIgnored(key: string): boolean {
    if (key.includes('/')) return this.ignored.check(key.split('/')[0]!, 'ipv6');
    return this.ignored.check(key, net.isIPv6(key) ? 'ipv6' : 'ipv4');
  }
}

function stateOf(socket: TrackedSocket): ConnectionState | undefined {
  return socket[STATE] ?? socket._parent?.[STATE];
}

function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function decrement(map: Map<string, number>, key: string): void {
  const value = (map.get(key) ?? 1) - 1;
  if (value <= 0) map.delete(key);
  else map.set(key, value);
}

/** Answers a refused HTTP request: Retry-After, and the connection closed after the answer. */
export function answerRefusal(
  res: ServerResponse,
  refusal: Refusal,
  send: (res: ServerResponse, status: number, message: string) => void,
): void {
  res.setHeader('retry-after', String(refusal.retryAfterS));
  res.setHeader('connection', 'close');
  send(res, refusal.status, refusal.message);
}
