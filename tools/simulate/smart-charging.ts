// The charging profiles a simulated charger holds (OCPP 1.6 §3.13), and the limit they give it at each moment:
// per purpose, the valid profile of the highest stack level that has a period then; a TxProfile (of the running
// transaction) overrides the TxDefaultProfile; the ChargePointMaxProfile caps both. GetCompositeSchedule is that
// limit over a window, as periods.

import {
  type ChargingProfile,
  type ChargingProfilePurpose,
  type ChargingRateUnit,
  NOMINAL_VOLTAGE,
} from '../../common/charging-profile.js';

export type SetProfileStatus = 'Accepted' | 'Rejected' | 'NotSupported';

/** What the charger's configuration allows (its SmartCharging keys). */
export interface ProfileCapabilities {
  supported: boolean;
  maxStackLevel: number;
  allowedUnits: readonly ChargingRateUnit[];
  maxPeriods: number;
  maxInstalled: number;
  connectors: number;
}

/** The running transaction, as the limits depend on it (TxProfile, Relative schedules). */
export interface RunningTransaction {
  id: number;
  /** ms since the epoch. */
  startedAt: number;
}

interface Held {
  connectorId: number;
  profile: ChargingProfile;
  /** ms since the epoch: Absolute profiles without startSchedule start when installed. */
  installedAt: number;
}

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
const DEFAULT_PHASES = 3;

export class ChargerProfiles {
  private readonly held: Held[] = [];

  constructor(
    /** What the charger draws at most per phase without any profile, A. */
    readonly maxCurrent: number,
  ) {}

  get profiles(): ReadonlyArray<{ connectorId: number; profile: ChargingProfile }> {
    return this.held;
  }

  /** SetChargingProfile. */
  set(
    connectorId: number,
    profile: ChargingProfile,
    capabilities: ProfileCapabilities,
    transaction: RunningTransaction | undefined,
    now = Date.now(),
  ): SetProfileStatus {
    if (!capabilities.supported) return 'NotSupported';
    if (!acceptable(connectorId, profile, capabilities, transaction)) return 'Rejected';
    const purpose = profile.chargingProfilePurpose;
    // Replaces the one with the same id, and the one with the same connector, purpose and stack level.
    const replaced = (held: Held) =>
      held.profile.chargingProfileId === profile.chargingProfileId ||
      (held.connectorId === connectorId &&
        held.profile.chargingProfilePurpose === purpose &&
        held.profile.stackLevel === profile.stackLevel);
    const kept = this.held.filter((held) => !replaced(held));
    if (kept.length >= capabilities.maxInstalled) return 'Rejected';
    const stored = purpose === 'TxProfile' ? { ...profile, transactionId: transaction!.id } : profile;
    this.held.splice(0, this.held.length, ...kept, { connectorId, profile: stored, installedAt: now });
    return 'Accepted';
  }

  /** Holds exactly these (a 2.0.1 station keeps its profiles in its own shape and computes on their translation). */
  replaceAll(entries: ReadonlyArray<{ connectorId: number; profile: ChargingProfile; installedAt: number }>): void {
    this.held.splice(0, this.held.length, ...entries);
  }

  /** ClearChargingProfile: Accepted when one or more were removed, else Unknown. */
  clear(criteria: {
    id?: number;
    connectorId?: number;
    chargingProfilePurpose?: ChargingProfilePurpose;
    stackLevel?: number;
  }): 'Accepted' | 'Unknown' {
    const matches = (held: Held) =>
      criteria.id !== undefined
        ? held.profile.chargingProfileId === criteria.id
        : (criteria.connectorId === undefined || held.connectorId === criteria.connectorId) &&
          (criteria.chargingProfilePurpose === undefined ||
            held.profile.chargingProfilePurpose === criteria.chargingProfilePurpose) &&
          (criteria.stackLevel === undefined || held.profile.stackLevel === criteria.stackLevel);
    const kept = this.held.filter((held) => !matches(held));
    const removed = this.held.length - kept.length;
    this.held.splice(0, this.held.length, ...kept);
    return removed > 0 ? 'Accepted' : 'Unknown';
  }

  /** The transaction ended: its TxProfiles go with it. */
  transactionEnded(transactionId: number): void {
    this.held.splice(
      0,
      this.held.length,
      ...this.held.filter(
        (held) => held.profile.chargingProfilePurpose !== 'TxProfile' || held.profile.transactionId !== transactionId,
      ),
    );
  }

  /** The limit on the connector at `at` in `unit` (A per phase, or W); undefined: no profile limits it. */
  limitAt(
    connectorId: number,
    at: number,
    unit: ChargingRateUnit,
    transaction: RunningTransaction | undefined,
    phases = DEFAULT_PHASES,
  ): number | undefined {
    const of = (purpose: ChargingProfilePurpose, connectors: readonly number[]) =>
      this.purposeLimit(purpose, connectors, at, unit, transaction, phases);
    const max = of('ChargePointMaxProfile', [0]);
    if (connectorId === 0) return max;
    const tx = transaction ? of('TxProfile', [connectorId]) : undefined;
    const limit = tx ?? of('TxDefaultProfile', [0, connectorId]);
    if (limit === undefined) return max;
    return max === undefined ? limit : Math.min(limit, max);
  }

  /** GetCompositeSchedule over [now, now + duration s]: the limit's periods (the charger's maximum where none). */
  composite(
    connectorId: number,
    durationSec: number,
    unit: ChargingRateUnit,
    transaction: RunningTransaction | undefined,
    now = Date.now(),
    phases = DEFAULT_PHASES,
  ): { scheduleStart: string; chargingSchedule: Record<string, unknown> } {
    const end = now + durationSec * 1000;
    const fallback = unit === 'A' ? this.maxCurrent : this.maxCurrent * NOMINAL_VOLTAGE * phases;
    const times = [...this.breakpoints(now, end, transaction)].filter((t) => t >= now && t < end).sort((a, b) => a - b);
    const periods: Array<{ startPeriod: number; limit: number; numberPhases?: number }> = [];
    for (const t of [now, ...times]) {
      const limit = round(Math.min(this.limitAt(connectorId, t, unit, transaction, phases) ?? fallback, fallback));
      const startPeriod = Math.floor((t - now) / 1000);
      const last = periods.at(-1);
      if (last && last.limit === limit) continue;
      if (last && last.startPeriod === startPeriod) last.limit = limit;
      else periods.push({ startPeriod, limit, ...(unit === 'A' ? { numberPhases: phases } : {}) });
    }
    return {
      scheduleStart: new Date(now).toISOString(),
      chargingSchedule: { duration: durationSec, chargingRateUnit: unit, chargingSchedulePeriod: periods },
    };
  }

  private purposeLimit(
    purpose: ChargingProfilePurpose,
    connectors: readonly number[],
    at: number,
    unit: ChargingRateUnit,
    transaction: RunningTransaction | undefined,
    phases: number,
  ): number | undefined {
    let best: { stackLevel: number; limit: number } | undefined;
    for (const held of this.held) {
      const { profile } = held;
      if (profile.chargingProfilePurpose !== purpose || !connectors.includes(held.connectorId)) continue;
      if (purpose === 'TxProfile' && profile.transactionId !== transaction?.id) continue;
      if (best && best.stackLevel >= profile.stackLevel) continue;
      const limit = periodLimit(held, at, transaction);
      if (limit === undefined) continue;
      best = { stackLevel: profile.stackLevel, limit: convert(limit, profile, unit, phases) };
    }
    return best?.limit;
  }

  /** Every moment within [from, to) at which a limit may change. */
  private *breakpoints(from: number, to: number, transaction: RunningTransaction | undefined): Generator<number> {
    for (const held of this.held) {
      const { profile } = held;
      if (profile.validFrom) yield Date.parse(profile.validFrom);
      if (profile.validTo) yield Date.parse(profile.validTo);
      const cycle = recurrence(profile);
      const first = scheduleStart(held, from, transaction);
      if (first === undefined) continue;
      const starts = cycle ? occurrences(first, cycle, from, to) : [first];
      for (const start of starts) {
        for (const period of profile.chargingSchedule.chargingSchedulePeriod) yield start + period.startPeriod * 1000;
        if (profile.chargingSchedule.duration !== undefined) yield start + profile.chargingSchedule.duration * 1000;
      }
    }
  }
}

/** Whether the charger's limits allow the profile (stack level, unit, periods, connector, purpose). */
export function acceptable(
  connectorId: number,
  profile: ChargingProfile,
  capabilities: ProfileCapabilities,
  transaction: RunningTransaction | undefined,
): boolean {
  const purpose = profile.chargingProfilePurpose;
  const schedule = profile.chargingSchedule;
  return !(
    connectorId > capabilities.connectors ||
    profile.stackLevel > capabilities.maxStackLevel ||
    !capabilities.allowedUnits.includes(schedule.chargingRateUnit) ||
    schedule.chargingSchedulePeriod.length > capabilities.maxPeriods ||
    (purpose === 'ChargePointMaxProfile' && connectorId !== 0) ||
    // A TxProfile without a transaction to limit is rejected (OCPP 1.6 §5.16.3, 2.0.1 K01.FR.09).
    (purpose === 'TxProfile' &&
      (connectorId === 0 ||
        !transaction ||
        (profile.transactionId !== undefined && profile.transactionId !== transaction.id)))
  );
}

/** The profile's limit at `at` in its own unit, or undefined when it has no period then. */
function periodLimit(held: Held, at: number, transaction: RunningTransaction | undefined): number | undefined {
  const { profile } = held;
  if (profile.validFrom && Date.parse(profile.validFrom) > at) return undefined;
  if (profile.validTo && Date.parse(profile.validTo) <= at) return undefined;
  let start = scheduleStart(held, at, transaction);
  if (start === undefined) return undefined;
  const cycle = recurrence(profile);
  if (cycle && at >= start) start += Math.floor((at - start) / cycle) * cycle;
  const offset = (at - start) / 1000;
  const schedule = profile.chargingSchedule;
  if (offset < 0 || (schedule.duration !== undefined && offset >= schedule.duration)) return undefined;
  let limit: number | undefined;
  for (const period of schedule.chargingSchedulePeriod) if (period.startPeriod <= offset) limit = period.limit;
  return limit;
}

/** When the schedule starts: its startSchedule; Relative: the transaction's start (no transaction: now). */
function scheduleStart(held: Held, now: number, transaction: RunningTransaction | undefined): number | undefined {
  const { profile } = held;
  if (profile.chargingProfileKind === 'Relative') return transaction?.startedAt ?? now;
  const start = profile.chargingSchedule.startSchedule;
  return start ? Date.parse(start) : held.installedAt;
}

function recurrence(profile: ChargingProfile): number | undefined {
  if (profile.chargingProfileKind !== 'Recurring') return undefined;
  return profile.recurrencyKind === 'Weekly' ? WEEK_MS : DAY_MS;
}

function occurrences(first: number, cycle: number, from: number, to: number): number[] {
  const starts: number[] = [];
  let start = first + Math.max(0, Math.floor((from - first) / cycle)) * cycle;
  for (; start < to && starts.length < 400; start += cycle) starts.push(start);
  return starts;
}

function convert(limit: number, profile: ChargingProfile, unit: ChargingRateUnit, phases: number): number {
  const from = profile.chargingSchedule.chargingRateUnit;
  if (from === unit) return limit;
  const profilePhases = profile.chargingSchedule.chargingSchedulePeriod[0]?.numberPhases ?? phases;
  return from === 'A' ? limit * NOMINAL_VOLTAGE * profilePhases : limit / (NOMINAL_VOLTAGE * profilePhases);
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
