// The connection registry of a backend that runs as one of several instances (--redis): the charge points this
// process holds (LocalConnections) plus presence and command routing in Redis for those the others hold.
//
// Degraded mode: while Redis is unreachable this instance keeps serving its own chargers and their commands;
// lists show only its own chargers, and commands for chargers held elsewhere fail fast with 503
// (ClusterUnavailableError) instead of waiting.

import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Logger } from '../../common/logger.js';
import {
  ClusterUnavailableError,
  LocalConnections,
  NotConnectedError,
  type CallOptions,
  type ChargePointConnection,
  type ConnectionRegistry,
} from '../ocpp/connections.js';
import { createClusterMetrics, type ClusterMetrics } from './cluster-metrics.js';
import { CommandRouter } from './command-router.js';
import { Presence, type LocalClaim } from './presence.js';
import { closeRedis, createRedisConnection } from '../../common/redis.js';

export interface ClusterOptions {
  redisUrl: string;
  /** How long an instance's chargers stay "connected" after it stops renewing its lease (crash), ms. */
  leaseMs: number;
  registry: Registry;
  logger: Logger;
}

export interface ClusterHealth {
  instanceId: string;
  redis: 'up' | 'down';
  /** Charge points whose WebSocket this instance holds (the cluster-wide list is GET /api/charge-points). */
  chargePointsHere: number;
}

/** A Redis health probe gives up after this long (the /health answer must stay fast). */
const HEALTH_PROBE_TIMEOUT_MS = 1000;
/** Startup waits at most this long for Redis before serving degraded (it keeps reconnecting in the background). */
const STARTUP_WAIT_MS = 3000;

export class ClusterConnections implements ConnectionRegistry {
  /** The connections of this process; the OCPP endpoint attaches and detaches them. */
  readonly local: LocalConnections;
  readonly instanceId: string;
  private readonly claims = new Map<string, LocalClaim & { connection: ChargePointConnection }>();
  private readonly commands: Redis;
  private readonly subscriber: Redis;
  private readonly presence: Presence;
  private readonly router: CommandRouter;
  private readonly metrics: ClusterMetrics;
  private readonly up = { commands: false, subscriber: false };

  private constructor(private readonly options: ClusterOptions) {
    this.instanceId = `${hostname().replace(/\s/g, '_')}-${process.pid}-${randomBytes(4).toString('hex')}`;
    const logger = options.logger.child({ component: 'cluster', instanceId: this.instanceId });
    this.metrics = createClusterMetrics(options.registry);
    this.metrics.redisUp.set(0);
    const track = (role: keyof typeof this.up) => (up: boolean) => {
      this.up[role] = up;
      this.metrics.redisUp.set(this.up.commands && this.up.subscriber ? 1 : 0);
    };
    const whileDown = 'serving local charge points only until it returns';
    this.commands = createRedisConnection({
      url: options.redisUrl,
      name: 'backend-commands',
      subscriber: false,
      logger,
      whileDown,
      onStateChange: track('commands'),
    });
    this.subscriber = createRedisConnection({
      url: options.redisUrl,
      name: 'backend-subscriber',
      subscriber: true,
      logger,
      whileDown,
      onStateChange: track('subscriber'),
    });

    this.local = new LocalConnections({
      connected: (chargePointId, connection) => {
        const claim = { connection, connectedAt: Date.now() };
        this.claims.set(chargePointId, claim);
        void this.presence.claim(chargePointId, claim);
      },
      disconnected: (chargePointId, connection) => {
        const claim = this.claims.get(chargePointId);
        if (claim?.connection !== connection) return;
        this.claims.delete(chargePointId);
        void this.presence.release(chargePointId, claim);
      },
    });
    this.presence = new Presence({
      redis: this.commands,
      instanceId: this.instanceId,
      leaseMs: options.leaseMs,
      logger,
      localClaims: () => this.claims,
      onSuperseded: (chargePointId) =>
        this.closeOlderThan(chargePointId, Infinity, 'a newer connection is held by another instance'),
      onTookOver: (chargePointId, previous, sequence) =>
        this.router.takeover(previous.instanceId, chargePointId, sequence),
    });
    this.router = new CommandRouter({
      instanceId: this.instanceId,
      publisher: this.commands,
      subscriber: this.subscriber,
      local: this.local,
      metrics: this.metrics,
      logger,
      onTakeover: (chargePointId, sequence, by) =>
        this.closeOlderThan(chargePointId, sequence, `reconnected through ${by}`),
    });
  }

  /** Connects to Redis (waiting briefly; an unreachable Redis means starting degraded, not failing). */
  static async start(options: ClusterOptions): Promise<ClusterConnections> {
    const cluster = new ClusterConnections(options);
    const ready = await Promise.race([
      Promise.all([firstConnection(cluster.commands), firstConnection(cluster.subscriber)]).then((results) =>
        results.every(Boolean),
      ),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), STARTUP_WAIT_MS).unref()),
    ]);
    if (ready) await cluster.presence.heartbeat();
    else
      options.logger.warn(
        { instanceId: cluster.instanceId },
        'redis unreachable at startup: serving local charge points only until it answers',
      );
    options.logger.info(
      { instanceId: cluster.instanceId, leaseMs: options.leaseMs, redis: ready ? 'up' : 'down' },
      'cluster member started',
    );
    return cluster;
  }

  async isConnected(chargePointId: string): Promise<boolean> {
    if (this.local.get(chargePointId)) return true;
    try {
      const holder = await this.presence.holderOf(chargePointId);
      return holder !== undefined && holder.instanceId !== this.instanceId;
    } catch {
      return false; // Degraded: only what this instance holds is known.
    }
  }

  async connectedIds(): Promise<string[]> {
    const ids = new Set(await this.local.connectedIds());
    try {
      for (const [chargePointId, holder] of await this.presence.holders()) {
        if (holder.instanceId !== this.instanceId) ids.add(chargePointId);
      }
    } catch {
      // Degraded: this instance's own chargers only.
    }
    return [...ids].sort();
  }

  async call(chargePointId: string, action: string, payload: unknown, options: CallOptions): Promise<unknown> {
    if (this.local.get(chargePointId)) return this.local.call(chargePointId, action, payload, options);
    const holder = await this.remoteHolder(chargePointId);
    return this.router.call(holder, chargePointId, action, payload, options.timeoutMs);
  }

  async disconnect(chargePointId: string, code: number, reason: string): Promise<boolean> {
    if (this.local.get(chargePointId)) return this.local.disconnect(chargePointId, code, reason);
    let holder: string;
    try {
      holder = await this.remoteHolder(chargePointId);
    } catch (error) {
      if (error instanceof NotConnectedError) return false;
      throw error;
    }
    return this.router.disconnect(holder, chargePointId, code, reason);
  }

  /** Redis as this instance sees it now (a real round trip, bounded). */
  async health(): Promise<ClusterHealth> {
    let redis: ClusterHealth['redis'] = 'down';
    if (this.up.commands && this.up.subscriber) {
      const probe = this.commands.ping().then(
        () => 'up' as const,
        () => 'down' as const,
      );
      const timeout = new Promise<'down'>((resolve) =>
        setTimeout(() => resolve('down'), HEALTH_PROBE_TIMEOUT_MS).unref(),
      );
      redis = await Promise.race([probe, timeout]);
    }
    return { instanceId: this.instanceId, redis, chargePointsHere: this.local.size };
  }

  /** Shutdown, after the local connections are closed: deregister, fail waiting commands, disconnect. */
  async close(): Promise<void> {
    this.router.close();
    await this.presence.close();
    await Promise.all([closeRedis(this.commands), closeRedis(this.subscriber)]);
  }

  /** The live instance other than this one that holds the charger. */
  private async remoteHolder(chargePointId: string): Promise<string> {
    let holder: Awaited<ReturnType<Presence['holderOf']>>;
    try {
      holder = await this.presence.holderOf(chargePointId);
    } catch (error) {
      throw new ClusterUnavailableError(
        `charge point ${chargePointId} is not connected to this instance and Redis is unreachable: ${(error as Error).message}`,
      );
    }
    // Held "here" but not in the local map: a stale entry from a connection that just closed.
    if (!holder || holder.instanceId === this.instanceId) throw new NotConnectedError(chargePointId);
    return holder.instanceId;
  }

  /** Closes our connection of a charger when another instance holds a newer one (claim sequence above ours). */
  private closeOlderThan(chargePointId: string, sequence: number, why: string): void {
    const claim = this.claims.get(chargePointId);
    if (!claim || (claim.sequence ?? 0) >= sequence) return;
    this.options.logger.info(
      { chargePointId, instanceId: this.instanceId, why },
      'charge point connected elsewhere: closing the old connection',
    );
    if (this.local.detach(chargePointId, claim.connection))
      void claim.connection.close({ code: 1000, reason: 'Replaced by a new connection' });
  }
}

/** true once the client is ready; false as soon as its first attempt fails (refused: no point waiting longer). */
function firstConnection(client: Redis): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const settle = (ready: boolean) => {
      client.off('ready', onReady);
      client.off('close', onClose);
      resolve(ready);
    };
    const onReady = () => settle(true);
    const onClose = () => settle(false);
    client.once('ready', onReady);
    client.once('close', onClose);
  });
}
