// Presence: which backend instance holds each charge point's WebSocket, shared in Redis.
//
// One hash maps charge point → holder ("instanceId sequence connectedAtMs"); each instance also owns a lease key
// that expires `leaseMs` after its last heartbeat. An entry counts only while its holder's lease is alive, so an
// instance that crashes (kill -9, power cut, partition) stops showing its chargers as connected within one lease,
// without anyone having to clean up after it; readers drop such dead entries lazily.
//
// Redis is never on the path of a charger's OCPP exchange: claims and releases are fired and forgotten, and any
// write that fails marks the presence "dirty". The next heartbeat that reaches Redis reconciles the hash with the
// connections this process really holds (also after a Redis restart that lost everything).

import type { Redis } from 'ioredis';
import type { Logger } from '../../common/logger.js';
import { keys } from './keys.js';

/** A charge point's entry in the presence hash. */
export interface Holder {
  instanceId: string;
  /** Cluster-wide claim order (Redis INCR): a higher sequence is a newer connection. */
  sequence: number;
  /** Wall clock of the connection, only to order two claims made while Redis was unreachable. */
  connectedAt: number;
}

export interface LocalClaim {
  connectedAt: number;
  /** Sequence of the claim as stored; undefined while Redis has not accepted it. */
  sequence?: number;
}

export interface PresenceOptions {
  redis: Redis;
  instanceId: string;
  leaseMs: number;
  logger: Logger;
  /** What this instance holds right now (for reconciliation). */
  localClaims(): ReadonlyMap<string, LocalClaim>;
  /** Another instance holds a newer connection of a charger we still hold: close ours. */
  onSuperseded(chargePointId: string): void;
  /** We hold a newer connection than `holder`: tell it to close its own. */
  onTookOver(chargePointId: string, previous: Holder, sequence: number): void;
}

// Claim a charge point. mode "force": a charger just connected here, so this is the newest connection by
// definition. mode "unlessNewer": re-registration after an outage; keep another live instance's entry when its
// connection is more recent than ours. Returns {claimed, stored value, previous value or ''}.
const CLAIM_SCRIPT = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current and ARGV[4] == 'unlessNewer' then
  local holder, sequence, at = string.match(current, '^(%S+) (%d+) (%d+)$')
  if holder and holder ~= ARGV[2] and tonumber(at) > tonumber(ARGV[3]) and redis.call('EXISTS', ARGV[5] .. holder) == 1 then
    return {0, current, current}
  end
end
local sequence = redis.call('INCR', KEYS[2])
local value = ARGV[2] .. ' ' .. sequence .. ' ' .. ARGV[3]
redis.call('HSET', KEYS[1], ARGV[1], value)
return {1, value, current or ''}
`;

// Delete an entry only if it is still exactly the one given: never a newer claim by another instance.
const RELEASE_SCRIPT = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
`;

interface PresenceCommands {
  claimChargePoint(
    hash: string,
    sequenceKey: string,
    chargePointId: string,
    instanceId: string,
    connectedAt: number,
    mode: string,
    instancePrefix: string,
  ): Promise<[number, string, string]>;
  releaseChargePoint(hash: string, chargePointId: string, value: string): Promise<number>;
}

export class Presence {
  private readonly redis: Redis & PresenceCommands;
  private readonly timer: NodeJS.Timeout;
  /** Some write did not reach Redis: reconcile at the next heartbeat that does. */
  private dirty = true;
  private beating: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: PresenceOptions) {
    this.redis = options.redis as Redis & PresenceCommands;
    this.redis.defineCommand('claimChargePoint', { numberOfKeys: 2, lua: CLAIM_SCRIPT });
    this.redis.defineCommand('releaseChargePoint', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
    // Three heartbeats per lease: one lost or late heartbeat does not make a live instance look dead.
    this.timer = setInterval(() => void this.heartbeat(), Math.max(100, Math.floor(options.leaseMs / 3))).unref();
    // A (re)connection may follow a Redis restart that lost everything: re-register at once.
    options.redis.on('ready', () => {
      this.dirty = true;
      void this.heartbeat();
    });
  }

  get instanceId(): string {
    return this.options.instanceId;
  }

  /** Records that a charger just connected here (the claim gets its sequence); never throws: a failure marks dirty. */
  async claim(chargePointId: string, claim: LocalClaim): Promise<void> {
    try {
      await this.claimIn(chargePointId, claim, 'force');
    } catch (error) {
      this.markDirty('claim', error);
    }
  }

  /** Records that this instance no longer holds the charger (unless another instance already claimed it). */
  async release(chargePointId: string, claim: LocalClaim): Promise<void> {
    if (claim.sequence === undefined) {
      // Never stored, or stored while we could not hear back: reconciliation removes whatever is ours.
      this.dirty = true;
      return;
    }
    try {
      await this.redis.releaseChargePoint(
        keys.presence,
        chargePointId,
        formatHolder({ instanceId: this.instanceId, sequence: claim.sequence, connectedAt: claim.connectedAt }),
      );
    } catch (error) {
      this.markDirty('release', error);
    }
  }

  /** The live instance holding the charger, or undefined. Throws when Redis cannot answer. */
  async holderOf(chargePointId: string): Promise<Holder | undefined> {
    const value = await this.redis.hget(keys.presence, chargePointId);
    const holder = value ? parseHolder(value) : undefined;
    if (!holder) return undefined;
    if (holder.instanceId === this.instanceId) return holder;
    return (await this.redis.exists(keys.instance(holder.instanceId))) === 1 ? holder : undefined;
  }

  /** Every charger held by a live instance. Throws when Redis cannot answer. */
  async holders(): Promise<Map<string, Holder>> {
    const entries = await this.redis.hgetall(keys.presence);
    const parsed = new Map<string, Holder>();
    for (const [chargePointId, value] of Object.entries(entries)) {
      const holder = parseHolder(value);
      if (holder) parsed.set(chargePointId, holder);
    }
    const instances = [...new Set([...parsed.values()].map((holder) => holder.instanceId))];
    const leases = instances.length > 0 ? await this.redis.mget(instances.map(keys.instance)) : [];
    const alive = new Set(
      instances.filter((instance, index) => leases[index] !== null || instance === this.instanceId),
    );
    const live = new Map<string, Holder>();
    for (const [chargePointId, holder] of parsed) {
      if (alive.has(holder.instanceId)) live.set(chargePointId, holder);
      // The holder's lease expired: it crashed. Drop its entry (only if unchanged) so the hash does not grow.
      else void this.redis.releaseChargePoint(keys.presence, chargePointId, formatHolder(holder)).catch(() => {});
    }
    return live;
  }

  /** Renews this instance's lease; reconciles the hash with the local connections when something was missed. */
  heartbeat(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.beating ??= (async () => {
      try {
        const lease = JSON.stringify({ pid: process.pid, since: new Date().toISOString() });
        await this.redis.set(keys.instance(this.instanceId), lease, 'PX', this.options.leaseMs);
        if (this.dirty) {
          this.dirty = false;
          await this.reconcile();
        }
      } catch (error) {
        this.markDirty('heartbeat', error);
      }
    })().finally(() => {
      this.beating = undefined;
    });
    return this.beating;
  }

  /** Graceful stop: removes this instance's entries and lease, so others see its chargers gone at once. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.beating;
    try {
      const entries = await this.redis.hgetall(keys.presence);
      const ours = Object.entries(entries).filter(([, value]) => parseHolder(value)?.instanceId === this.instanceId);
      await Promise.all(
        ours.map(([chargePointId, value]) => this.redis.releaseChargePoint(keys.presence, chargePointId, value)),
      );
      await this.redis.del(keys.instance(this.instanceId));
    } catch (error) {
      // Redis is down: the lease expires by itself.
      this.options.logger.warn(
        { err: (error as Error).message },
        'presence: could not deregister; the lease will expire',
      );
    }
  }

  private async claimIn(chargePointId: string, claim: LocalClaim, mode: 'force' | 'unlessNewer'): Promise<boolean> {
    const [claimed, value, previousValue] = await this.redis.claimChargePoint(
      keys.presence,
      keys.claimSequence,
      chargePointId,
      this.instanceId,
      claim.connectedAt,
      mode,
      keys.instancePrefix,
    );
    if (claimed !== 1) return false;
    // The claim may have lost to a disconnect that happened while it was on its way: only record it if still local.
    const current = this.options.localClaims().get(chargePointId);
    const stored = parseHolder(value)!;
    if (current === claim) claim.sequence = stored.sequence;
    const previous = previousValue ? parseHolder(previousValue) : undefined;
    if (previous && previous.instanceId !== this.instanceId)
      this.options.onTookOver(chargePointId, previous, stored.sequence);
    return true;
  }

  /** Makes the hash say exactly what this instance holds: re-claims the missing, removes the stale. */
  private async reconcile(): Promise<void> {
    const local = this.options.localClaims();
    const entries = await this.redis.hgetall(keys.presence);
    const work: Array<Promise<unknown>> = [];
    for (const [chargePointId, value] of Object.entries(entries)) {
      const holder = parseHolder(value);
      const claim = local.get(chargePointId);
      if (holder?.instanceId === this.instanceId && (!claim || claim.sequence !== holder.sequence)) {
        work.push(this.redis.releaseChargePoint(keys.presence, chargePointId, value));
      }
    }
    for (const [chargePointId, claim] of local) {
      const stored = entries[chargePointId];
      const holder = stored ? parseHolder(stored) : undefined;
      if (holder?.instanceId === this.instanceId && holder.sequence === claim.sequence) continue;
      work.push(
        this.claimIn(chargePointId, claim, 'unlessNewer').then((claimed) => {
          if (!claimed) this.options.onSuperseded(chargePointId);
        }),
      );
    }
    const results = await Promise.allSettled(work);
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    this.options.logger.info({ instanceId: this.instanceId, chargePoints: local.size }, 'presence registered in redis');
  }

  private markDirty(operation: string, error: unknown): void {
    if (!this.dirty)
      this.options.logger.debug(
        { operation, err: (error as Error).message },
        'presence: redis write failed; will reconcile',
      );
    this.dirty = true;
  }
}

export function formatHolder(holder: Holder): string {
  return `${holder.instanceId} ${holder.sequence} ${holder.connectedAt}`;
}

export function parseHolder(value: string): Holder | undefined {
  const match = /^(\S+) (\d+) (\d+)$/.exec(value);
  return match ? { instanceId: match[1], sequence: Number(match[2]), connectedAt: Number(match[3]) } : undefined;
}
