// The bans in force: charge point ids and client addresses (or IPv6 networks, client-address.ts) refused until a
// time. Lookups are synchronous map reads on the connection path. With --bans-store redis every ban and lift is
// also written to Redis (one key per ban, expiring with it) and published, so every proxy and PM2 worker that
// shares the Redis refuses the same clients within milliseconds; a proxy that starts (or whose Redis connection
// comes back) loads the bans in force. Without Redis the list is this process's own.

import type { Logger } from '../../common/logger.js';
import type { Redis } from '../../common/redis.js';

export type BanKind = 'address' | 'charge_point';

export interface Ban {
  kind: BanKind;
  /** The address key (client-address.ts) or the charge point id. */
  key: string;
  /** Epoch milliseconds. */
  until: number;
  /** Bans of this key so far, this one included: the duration doubled each time. */
  offences: number;
  reason: string;
  since: number;
}

const PREFIX = 'ocpp-edge:ban:';
const CHANNEL = 'ocpp-edge:bans';

export class BanList {
  private readonly bans = new Map<string, Ban>();
  private redis: Redis | undefined;
  private subscriber: Redis | undefined;

  /**
   * `memoryMs`: how long an ended ban is remembered, so the next one of the same key is longer (--ban-max-time).
   */
  constructor(
    private readonly logger: Logger,
    private readonly memoryMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Shares the list through Redis; resolves once loaded (or after a short wait, Redis being down: then later). */
  async share(url: string): Promise<void> {
    // Imported only here: a proxy without shared bans does not load ioredis (test/common/command-imports.test.ts).
    const { createRedisConnection, whenReady } = await import('../../common/redis.js');
    const whileDown = 'bans are kept in this process until it is back';
    this.redis = createRedisConnection({ url, name: 'proxy-bans', subscriber: false, logger: this.logger, whileDown });
    this.subscriber = createRedisConnection({
      url,
      name: 'proxy-bans-subscriber',
      subscriber: true,
      logger: this.logger,
      whileDown,
    });
    this.subscriber.on('message', (_channel: string, message: string) => this.received(message));
    this.subscriber.on('ready', () => this.subscriber?.subscribe(CHANNEL).catch(() => {}));
    // Whenever the connection is (back) up: the bans imposed elsewhere meanwhile.
    this.redis.on('ready', () => void this.load());
    await Promise.all([whenReady(this.redis, 2000), whenReady(this.subscriber, 2000)]);
  }

  async close(): Promise<void> {
    if (!this.redis) return;
    const { closeRedis } = await import('../../common/redis.js');
    await Promise.all([this.redis && closeRedis(this.redis), this.subscriber && closeRedis(this.subscriber)]);
  }

  /** The ban in force on this key, if any. */
  find(kind: BanKind, key: string): Ban | undefined {
    const ban = this.bans.get(banId(kind, key));
    return ban && ban.until > this.now() ? ban : undefined;
  }

  /** Bans of this key remembered (in force or ended less than --ban-max-time ago). */
  offences(kind: BanKind, key: string): number {
    const ban = this.bans.get(banId(kind, key));
    return ban && ban.until + this.memoryMs > this.now() ? ban.offences : 0;
  }

  list(): Ban[] {
    const now = this.now();
    return [...this.bans.values()].filter((ban) => ban.until > now).sort((a, b) => a.since - b.since);
  }

  count(kind: BanKind): number {
    return this.list().filter((ban) => ban.kind === kind).length;
  }

  add(ban: Ban): void {
    this.forgetOld();
    this.bans.set(banId(ban.kind, ban.key), ban);
    const redis = this.redis;
    if (!redis || redis.status !== 'ready') return;
    const text = JSON.stringify(ban);
    // Kept past its end for as long as its offences count.
    const ttl = Math.max(1, ban.until + this.memoryMs - this.now());
    redis
      .multi()
      .set(PREFIX + banId(ban.kind, ban.key), text, 'PX', ttl)
      .publish(CHANNEL, JSON.stringify({ op: 'ban', ban }))
      .exec()
      .catch((error: Error) => this.logger.warn({ err: error.message }, 'could not share a ban through redis'));
  }

  /** Lifts the bans on `key` (both kinds when `kind` is not given); returns those lifted here. */
  async lift(key: string, kind?: BanKind): Promise<Ban[]> {
    const kinds: BanKind[] = kind ? [kind] : ['address', 'charge_point'];
    const lifted: Ban[] = [];
    for (const each of kinds) {
      const ban = this.find(each, key);
      if (ban) lifted.push(ban);
      // Lifted by the operator: its offences are forgiven too.
      this.bans.delete(banId(each, key));
    }
    const redis = this.redis;
    if (redis && redis.status === 'ready') {
      const pipeline = redis.multi();
      for (const each of kinds) pipeline.del(PREFIX + banId(each, key));
      pipeline.publish(CHANNEL, JSON.stringify({ op: 'lift', key, kinds }));
      await pipeline.exec();
    }
    return lifted;
  }

  private forgetOld(): void {
    const now = this.now();
    for (const [id, ban] of this.bans) if (ban.until + this.memoryMs <= now) this.bans.delete(id);
  }

  private received(message: string): void {
    try {
      const event = JSON.parse(message) as { op: 'ban'; ban: Ban } | { op: 'lift'; key: string; kinds: BanKind[] };
      if (event.op === 'ban') this.bans.set(banId(event.ban.kind, event.ban.key), event.ban);
      else for (const kind of event.kinds) this.bans.delete(banId(kind, event.key));
    } catch {
      // not ours
    }
  }

  private async load(): Promise<void> {
    const redis = this.redis;
    if (!redis) return;
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length === 0) continue;
        for (const text of await redis.mget(...keys)) {
          if (!text) continue;
          const ban = JSON.parse(text) as Ban;
          this.bans.set(banId(ban.kind, ban.key), ban);
        }
      } while (cursor !== '0');
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'could not load the shared bans from redis');
    }
  }
}

function banId(kind: BanKind, key: string): string {
  return `${kind}:${key}`;
}
