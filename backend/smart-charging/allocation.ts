// How a group's limit is divided over its charging sessions. Pure: the balancer gives it the sessions and what
// they draw, it gives back each session's limit. Worked in A per phase; a W limit is converted with the group's
// voltage and phases.
//
//   1. Every session gets at least the minimum (6 A for AC), oldest first; a session the limit cannot give its
//      minimum is paused (0), so the newest wait. A model that treats 0 as "stop" (never-zero quirk) is paused at
//      its pause limit instead, and that limit is counted, reserved before anyone's minimum (when the limit cannot
//      hold even those, the newest get 0 all the same: the group's limit comes first).
//   2. What is left is shared equally (water-filling): a session that drew clearly less than it was given is capped
//      at what it drew plus a margin, and its unused share goes to the others; once it draws near its cap again, the
//      cap is lifted.
//   3. Limits are rounded down (0.1 A, 1 W): the sum never exceeds the group's limit.

export interface GroupSettings {
  limit: number;
  unit: 'A' | 'W';
  phases: number;
  voltage: number;
  /** A per phase. */
  minCurrent: number;
}

export interface SessionInput {
  transactionId: number;
  /** Oldest first: start time, then id. */
  startedAt: string;
  /** The charger's model never takes a 0 limit: paused at this (A per phase) instead. */
  pauseCurrent?: number;
  /** A per phase drawn at the last MeterValues, when known. */
  drawnCurrent?: number;
  /** A per phase it was last given, when known. */
  givenCurrent?: number;
}

export interface Allocation {
  transactionId: number;
  /** In the group's unit. */
  limit: number;
  paused: boolean;
}

/** Below this share of what it was given, a session is taken to need less (A per phase, absolute margin). */
const USES_LESS_RATIO = 0.8;
const HEADROOM_A = 1;
/** The charger's maximum per phase when nothing else caps a session. */
const NO_CAP = Number.POSITIVE_INFINITY;

export function allocate(group: GroupSettings, sessions: readonly SessionInput[]): Allocation[] {
  const perAmp = group.unit === 'W' ? group.voltage * group.phases : 1;
  const budgetA = group.limit / perAmp;
  const ordered = [...sessions].sort(
    (a, b) => a.startedAt.localeCompare(b.startedAt) || a.transactionId - b.transactionId,
  );
  // 1. Pause limits of never-zero models are reserved first (oldest first: a limit too small for even those leaves
  // the newest at 0, the group's limit wins); then the minimum, oldest first.
  let left = budgetA;
  const pauseOf = new Map<number, number>();
  for (const session of ordered) {
    const pause = session.pauseCurrent ?? 0;
    if (pause <= 0 || left + 1e-9 < pause) continue;
    left -= pause;
    pauseOf.set(session.transactionId, pause);
  }
  const active = new Map<number, number>();
  for (const session of ordered) {
    const extra = group.minCurrent - (pauseOf.get(session.transactionId) ?? 0);
    if (left + 1e-9 < extra) continue;
    left -= extra;
    active.set(session.transactionId, group.minCurrent);
  }
  // 2. Water-filling of what is left among the active sessions, each up to its cap.
  const caps = new Map<number, number>();
  for (const session of ordered) {
    if (!active.has(session.transactionId)) continue;
    const { drawnCurrent, givenCurrent } = session;
    const usesLess =
      drawnCurrent !== undefined && givenCurrent !== undefined && drawnCurrent < givenCurrent * USES_LESS_RATIO;
    caps.set(session.transactionId, usesLess ? Math.max(group.minCurrent, drawnCurrent + HEADROOM_A) : NO_CAP);
  }
  let open = [...active.keys()];
  while (left > 1e-9 && open.length > 0) {
    const share = left / open.length;
    const next: number[] = [];
    for (const id of open) {
      const room = caps.get(id)! - active.get(id)!;
      const given = Math.min(share, room);
      active.set(id, active.get(id)! + given);
      left -= given;
      if (room > share) next.push(id);
    }
    if (next.length === open.length) break;
    open = next;
  }
  // 3. Rounded down in the group's unit.
  return ordered.map((session) => {
    const current = active.get(session.transactionId);
    const paused = current === undefined;
    const amps = paused ? (pauseOf.get(session.transactionId) ?? 0) : current;
    const limit = group.unit === 'W' ? Math.floor(amps * perAmp) : Math.floor(amps * 10 + 1e-9) / 10;
    return { transactionId: session.transactionId, limit, paused };
  });
}

/** A group limit in A per phase (for comparing with what sessions draw). */
export function toAmps(group: Pick<GroupSettings, 'unit' | 'phases' | 'voltage'>, value: number): number {
  return group.unit === 'W' ? value / (group.voltage * group.phases) : value;
}
