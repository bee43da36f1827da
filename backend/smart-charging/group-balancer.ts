// Divides each charging group's limit over its running sessions (allocation.ts) and pushes the result as
// TxProfiles, on the instance that holds the group's lease (group-lease.ts).
//
// When: a session of a member starts or stops, a member boots or reports MeterValues (a session drawing less gives its
// share away), the group or its membership changes, and every interval (so an instance that took the lease over,
// or events heard by another instance, are caught up: everything is read from the database).
//
// Safety: every member holds the group's TxDefaultProfile (limit 0, or the pause limit of a never-zero model), so
// a session starts with nothing until it is given a share. Lowered limits are pushed first and their answers
// awaited; raised ones follow only while the sum of what the chargers hold stays within the group's limit.

import type { ChargingProfile } from '../../common/charging-profile.js';
import type { Logger } from '../../common/logger.js';
import type { EventBus } from '../events/bus.js';
import { BALANCER_PROFILE_IDS, type ChargingProfiles } from '../ocpp/charging-profiles.js';
import type { ConfigurationInventory } from '../ocpp/configuration-inventory.js';
import type { ChargingGroup, ChargingGroupStore, GroupMember, GroupSession } from '../store/charging-group-store.js';
import type { ChargingProfileStore } from '../store/charging-profile-store.js';
import { allocate, toAmps, type Allocation } from './allocation.js';
import type { GroupLease } from './group-lease.js';
import type { GroupMetrics } from './metrics.js';

export interface BalancerOptions {
  groups: ChargingGroupStore;
  profiles: ChargingProfiles;
  profileStore: ChargingProfileStore;
  inventory: ConfigurationInventory;
  lease: GroupLease;
  bus: EventBus;
  logger: Logger;
  metrics: GroupMetrics;
  /** Every group is looked at this often, ms. */
  intervalMs: number;
  /** Models (case-insensitive) that treat a 0 limit as a stop: paused at pauseCurrent instead. */
  neverZeroModels: readonly string[];
  /** A per phase given to a paused session of a never-zero model: below what an EV charges with (SuspendedEVSE). */
  pauseCurrent: number;
}

/** The chargingProfileId of the group's TxDefaultProfile on a member; its TxProfiles are this + connectorId. */
const DEFAULT_PROFILE_ID = BALANCER_PROFILE_IDS;
/** Raises smaller than this (A per phase) are not pushed: MeterValues noise would otherwise keep chargers busy. */
const RAISE_HYSTERESIS_A = 0.5;
/** A MeterValues-triggered look at a group waits at least this long after the previous one, ms. */
const METER_SPACING_MS = 500;

interface Held {
  chargePointId: string;
  connectorId: number;
  limit: number;
}

export class GroupBalancer {
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: Array<() => void>;
  private readonly running = new Map<string, Promise<void>>();
  private readonly scheduled = new Map<string, NodeJS.Timeout>();
  private readonly lastRun = new Map<string, number>();
  /** updatedAt of each group when its limit was last announced (group.limit.changed). */
  private readonly announced = new Map<string, string>();
  private readonly neverZero: Set<string>;
  private closed = false;

  constructor(private readonly options: BalancerOptions) {
    this.neverZero = new Set(options.neverZeroModels.map((model) => model.toLowerCase()));
    this.timer = setInterval(() => void this.reconcileAll(), options.intervalMs).unref();
    const onSession = (event: { data: { chargePointId: string } }) => this.nudge(event.data.chargePointId, 20);
    this.unsubscribe = [
      options.bus.on('transaction.started', onSession),
      options.bus.on('transaction.stopped', onSession),
      // A member that booted may have lost the group's default: it gets it again before its first session.
      options.bus.on('charger.booted', onSession),
    ];
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    for (const off of this.unsubscribe) off();
    for (const timer of this.scheduled.values()) clearTimeout(timer);
    this.scheduled.clear();
    await Promise.all(this.running.values());
    for (const group of await this.options.groups.list().catch(() => [])) await this.options.lease.release(group.id);
    await this.options.lease.close();
  }

  /** A member sent MeterValues: look again soon (at most every METER_SPACING_MS per group). */
  meterValues(chargePointId: string): void {
    this.nudge(chargePointId, METER_SPACING_MS);
  }

  /** Looks at the group now (the API changed it); resolves when done. */
  async rebalance(groupId: string): Promise<void> {
    const previous = this.running.get(groupId) ?? Promise.resolve();
    const run = previous.then(() => this.run(groupId));
    this.running.set(groupId, run);
    try {
      await run;
    } finally {
      if (this.running.get(groupId) === run) this.running.delete(groupId);
    }
  }

  /** The charger left the group: the group's profiles on it are cleared. */
  async detach(chargePointId: string): Promise<void> {
    for (const stored of await this.options.profileStore.list(chargePointId))
      if (stored.profile.chargingProfileId >= BALANCER_PROFILE_IDS && stored.source.startsWith('group:'))
        await this.options.profiles
          .clear(chargePointId, { id: stored.profile.chargingProfileId })
          .catch((error: unknown) =>
            this.options.logger.warn({ chargePointId, err: (error as Error).message }, 'group profile not cleared'),
          );
  }

  private nudge(chargePointId: string, spacingMs: number): void {
    if (this.closed) return;
    void this.options.groups.groupOf(chargePointId).then(
      (groupId) => {
        if (!groupId || this.scheduled.has(groupId) || this.closed) return;
        const wait = Math.max(spacingMs - (Date.now() - (this.lastRun.get(groupId) ?? 0)), 20);
        this.scheduled.set(
          groupId,
          setTimeout(() => {
            this.scheduled.delete(groupId);
            void this.rebalance(groupId);
          }, wait),
        );
      },
      () => undefined,
    );
  }

  private async reconcileAll(): Promise<void> {
    if (this.closed) return;
    try {
      for (const group of await this.options.groups.list()) await this.rebalance(group.id);
    } catch (error) {
      this.options.logger.warn({ err: (error as Error).message }, 'charging groups: look-over failed');
    }
  }

  private async run(groupId: string): Promise<void> {
    if (this.closed) return;
    this.lastRun.set(groupId, Date.now());
    const { groups, lease, metrics, logger } = this.options;
    try {
      const group = await groups.get(groupId);
      if (!group) {
        await lease.release(groupId);
        metrics.leader.remove({ group: groupId });
        return;
      }
      const leader = await lease.hold(groupId);
      metrics.leader.set({ group: groupId }, leader ? 1 : 0);
      if (!leader) return;
      await this.balance(group);
    } catch (error) {
      logger.warn({ groupId, err: (error as Error).message }, 'charging group: rebalance failed');
    }
  }

  private async balance(group: ChargingGroup): Promise<void> {
    const { groups, metrics } = this.options;
    const source = `group:${group.id}`;
    const [members, sessions, stored] = await Promise.all([
      groups.members(group.id),
      groups.sessions(group.id),
      this.options.profileStore.fromSource(source),
    ]);
    const models = new Map(members.map((member) => [member.chargePointId, member.model]));
    const pauseOf = (chargePointId: string) =>
      this.neverZero.has((models.get(chargePointId) ?? '').toLowerCase()) ? this.options.pauseCurrent : 0;
    // What each member and session holds now, by our records.
    const defaults = new Map<string, number>();
    const held = new Map<number, Held>();
    for (const entry of stored) {
      const limit = entry.profile.chargingSchedule.chargingSchedulePeriod[0]?.limit ?? 0;
      if (entry.profile.chargingProfilePurpose === 'TxDefaultProfile') defaults.set(entry.chargePointId, limit);
      else if (entry.profile.transactionId !== undefined)
        held.set(entry.profile.transactionId, {
          chargePointId: entry.chargePointId,
          connectorId: entry.connectorId,
          limit,
        });
    }
    await this.ensureDefaults(group, members, defaults, pauseOf);

    const inputs = await Promise.all(
      sessions.map(async (session) => {
        const reading = await groups.lastDraw(session.transactionId);
        const given = held.get(session.transactionId)?.limit;
        const drawn =
          reading === undefined
            ? undefined
            : reading.measurand === 'Current.Import'
              ? reading.value
              : reading.value / (group.voltage * group.phases);
        const pause = pauseOf(session.chargePointId);
        return {
          transactionId: session.transactionId,
          startedAt: session.startedAt,
          ...(pause > 0 ? { pauseCurrent: pause } : {}),
          ...(drawn !== undefined ? { drawnCurrent: drawn } : {}),
          ...(given !== undefined ? { givenCurrent: toAmps(group, given) } : {}),
        };
      }),
    );
    const allocations = allocate(group, inputs);
    const bySession = new Map(sessions.map((session) => [session.transactionId, session]));
    // What a session holds: its TxProfile, else the member's default (the group's pause value).
    const holding = (allocation: Allocation) =>
      held.get(allocation.transactionId)?.limit ??
      this.pauseLimit(group, pauseOf(bySession.get(allocation.transactionId)!.chargePointId));
    const effective = new Map(allocations.map((allocation) => [allocation.transactionId, holding(allocation)]));
    const lowered = allocations.filter((allocation) => allocation.limit < holding(allocation) - 1e-9);
    const raised = allocations.filter(
      (allocation) => toAmps(group, allocation.limit - holding(allocation)) >= RAISE_HYSTERESIS_A - 1e-9,
    );
    let pushed = 0;
    // Lowered first, all at once, and awaited: only what they freed may be given to others.
    await Promise.all(
      lowered.map(async (allocation) => {
        pushed++;
        if (await this.push(group, bySession.get(allocation.transactionId)!, allocation.limit))
          effective.set(allocation.transactionId, allocation.limit);
      }),
    );
    const sum = () => [...effective.values()].reduce((total, limit) => total + limit, 0);
    for (const allocation of raised) {
      const before = effective.get(allocation.transactionId)!;
      if (sum() - before + allocation.limit > group.limit + 1e-9) continue;
      pushed++;
      if (await this.push(group, bySession.get(allocation.transactionId)!, allocation.limit))
        effective.set(allocation.transactionId, allocation.limit);
    }

    const unit = group.unit;
    metrics.rebalances.inc({ group: group.id });
    metrics.limit.set({ group: group.id, unit }, group.limit);
    metrics.allocated.set({ group: group.id, unit }, sum());
    const paused = allocations.filter((allocation) => allocation.paused).length;
    metrics.sessions.set({ group: group.id, state: 'charging' }, allocations.length - paused);
    metrics.sessions.set({ group: group.id, state: 'paused' }, paused);
    if (pushed > 0 || this.announced.get(group.id) !== group.updatedAt) {
      this.announced.set(group.id, group.updatedAt);
      this.options.bus.emit('group.limit.changed', {
        groupId: group.id,
        limit: group.limit,
        unit,
        allocations: allocations.map((allocation) => {
          const session = bySession.get(allocation.transactionId)!;
          return {
            chargePointId: session.chargePointId,
            connectorId: session.connectorId,
            transactionId: allocation.transactionId,
            limit: effective.get(allocation.transactionId)!,
          };
        }),
      });
    }
  }

  /** Every member holds the group's TxDefaultProfile at its pause value (sessions start with nothing). */
  private async ensureDefaults(
    group: ChargingGroup,
    members: readonly GroupMember[],
    defaults: ReadonlyMap<string, number>,
    pauseOf: (chargePointId: string) => number,
  ): Promise<void> {
    await Promise.all(
      members.map(async (member) => {
        const limit = this.pauseLimit(group, pauseOf(member.chargePointId));
        if (defaults.get(member.chargePointId) === limit) return;
        await this.send(group, member.chargePointId, 0, {
          chargingProfileId: DEFAULT_PROFILE_ID,
          stackLevel: await this.stackLevel(member.chargePointId),
          chargingProfilePurpose: 'TxDefaultProfile',
          chargingProfileKind: 'Relative',
          chargingSchedule: {
            chargingRateUnit: group.unit,
            chargingSchedulePeriod: [{ startPeriod: 0, limit, numberPhases: group.phases }],
          },
        });
      }),
    );
  }

  /** Pushes the session's TxProfile; true when the charger accepted it. */
  private async push(group: ChargingGroup, session: GroupSession, limit: number): Promise<boolean> {
    return this.send(group, session.chargePointId, session.connectorId, {
      chargingProfileId: DEFAULT_PROFILE_ID + session.connectorId,
      transactionId: session.transactionId,
      stackLevel: await this.stackLevel(session.chargePointId),
      chargingProfilePurpose: 'TxProfile',
      chargingProfileKind: 'Relative',
      chargingSchedule: {
        chargingRateUnit: group.unit,
        chargingSchedulePeriod: [{ startPeriod: 0, limit, numberPhases: group.phases }],
      },
    });
  }

  private async send(
    group: ChargingGroup,
    chargePointId: string,
    connectorId: number,
    profile: ChargingProfile,
  ): Promise<boolean> {
    try {
      const { status } = await this.options.profiles.set({
        chargePointId,
        connectorId,
        profile,
        source: `group:${group.id}`,
      });
      this.options.metrics.pushes.inc({ group: group.id, result: status });
      if (status !== 'Accepted')
        this.options.logger.warn(
          { groupId: group.id, chargePointId, purpose: profile.chargingProfilePurpose, status },
          'charging group: profile refused',
        );
      return status === 'Accepted';
    } catch (error) {
      this.options.metrics.pushes.inc({ group: group.id, result: 'Failed' });
      this.options.logger.debug(
        { groupId: group.id, chargePointId, err: (error as Error).message },
        'charging group: profile not delivered',
      );
      return false;
    }
  }

  /** The highest the charger takes (ChargeProfileMaxStackLevel), so an operator's TxProfile does not win over ours. */
  private async stackLevel(chargePointId: string): Promise<number> {
    const limits = await this.options.inventory.limits(chargePointId);
    return limits.chargeProfileMaxStackLevel ?? 0;
  }

  /** A paused session's limit in the group's unit. */
  private pauseLimit(group: ChargingGroup, pauseCurrent: number): number {
    return group.unit === 'W' ? Math.floor(pauseCurrent * group.voltage * group.phases) : pauseCurrent;
  }
}
