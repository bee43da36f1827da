// What every measurement gets: the target under test, the load generator, and the CA to trust.

import type { LoadFleet } from '../load-fleet.js';
import { processTreeStats, type ProcessStats } from '../process-stats.js';
import type { Target } from '../targets.js';

export interface MeasureContext {
  target: Target;
  fleet: LoadFleet;
  /** The CA chargers trust (wss). */
  caPem: string;
  log(line: string): void;
}

/** The target's process tree now. */
export function targetStats(context: MeasureContext): ProcessStats {
  return processTreeStats(context.target.pid);
}

export function totalFailures(failures: Record<string, number>): number {
  return Object.values(failures).reduce((sum, count) => sum + count, 0);
}
