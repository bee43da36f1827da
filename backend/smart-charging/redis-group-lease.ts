// The group lease in Redis: `SET key instanceId NX PX ttl` takes it; the holder renews it (PEXPIRE only while the
// value is still its own, atomically in a script) well before it lapses; a holder that dies stops renewing, and
// another instance takes it once the TTL has run out. Redis unreachable: nobody can be sure, so nobody holds.

import { closeRedis, type Redis } from '../../common/redis.js';
import { keys } from '../cluster/keys.js';
import type { GroupLease } from './group-lease.js';

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export class RedisGroupLease implements GroupLease {
  constructor(
    /** Its own connection: closed by close(). */
    private readonly redis: Redis,
    private readonly instanceId: string,
    /** How long a lease lasts without renewal, ms. */
    private readonly ttlMs: number,
  ) {}

  async hold(groupId: string): Promise<boolean> {
    const key = keys.groupLease(groupId);
    try {
      if ((await this.redis.eval(RENEW, 1, key, this.instanceId, String(this.ttlMs))) === 1) return true;
      return (await this.redis.set(key, this.instanceId, 'PX', this.ttlMs, 'NX')) === 'OK';
    } catch {
      return false;
    }
  }

  async release(groupId: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, keys.groupLease(groupId), this.instanceId).catch(() => undefined);
  }

  async close(): Promise<void> {
    await closeRedis(this.redis);
  }
}
