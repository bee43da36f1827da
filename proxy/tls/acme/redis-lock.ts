// The ACME ordering lock in Redis, for proxies on several machines (--acme-store redis): the Redis counterpart of
// lock.ts's data-dir lock, with the same contract (AcmeLock) and the same LockBusyError.
//
// SET key holder NX PX ttl takes it; the holder's value carries a random token. While the order runs the holder
// extends the expiry every third of the TTL, and releases with a compare-and-delete: both are Lua scripts that act
// only when the value is still its own, so a holder that paused longer than the TTL (and lost the lock to someone
// else) can never extend or delete the new holder's lock. A crashed holder's lock simply expires.

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Logger } from '../../../common/logger.js';
import { LockBusyError, type AcmeLock, type HeldLock, type LockHolder } from './lock.js';
import { acmeKeys } from './redis-keys.js';

const EXTEND_IF_OURS = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const DELETE_IF_OURS = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export interface RedisLockOptions {
  /** Expiry of the lock unless extended: how long a crashed holder blocks the others. */
  ttlMs?: number;
  /** How often a waiting process tries again. */
  pollMs?: number;
  key?: string;
  logger?: Logger;
}

export class RedisLock implements AcmeLock {
  private readonly ttlMs: number;
  private readonly pollMs: number;
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisLockOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.pollMs = options.pollMs ?? 500;
    this.key = options.key ?? acmeKeys.lock;
  }

  async acquire(purpose: string, waitMs: number): Promise<HeldLock> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const now = new Date().toISOString();
      const holder: LockHolder = {
        pid: process.pid,
        hostname: hostname(),
        token: randomBytes(16).toString('hex'),
        acquiredAt: now,
        heartbeatAt: now,
        purpose,
      };
      const value = JSON.stringify(holder);
      if ((await this.redis.set(this.key, value, 'PX', this.ttlMs, 'NX')) === 'OK') return this.held(holder, value);
      if (Date.now() >= deadline) throw new LockBusyError(await this.readHolder());
      await sleep(Math.min(this.pollMs, Math.max(1, deadline - Date.now())));
    }
  }

  async readHolder(): Promise<LockHolder | undefined> {
    const value = await this.redis.get(this.key).catch(() => null);
    try {
      return value ? (JSON.parse(value) as LockHolder) : undefined;
    } catch {
      return undefined;
    }
  }

  private held(holder: LockHolder, value: string): HeldLock {
    let released = false;
    const extend = setInterval(
      () => {
        this.redis
          .eval(EXTEND_IF_OURS, 1, this.key, value, this.ttlMs)
          .then((extended) => {
            if (extended === 0 && !released) {
              clearInterval(extend);
              this.options.logger?.warn(
                { holder },
                'lost the ACME lock (expired while this process paused); the order in flight finishes unguarded',
              );
            }
          })
          // Redis away for a moment: the next extension may still come in time.
          .catch(() => undefined);
      },
      Math.max(1, Math.floor(this.ttlMs / 3)),
    );
    extend.unref();
    return {
      holder,
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(extend);
        // If Redis is unreachable now, the lock expires by itself within the TTL.
        await this.redis.eval(DELETE_IF_OURS, 1, this.key, value).catch(() => undefined);
      },
    };
  }
}
