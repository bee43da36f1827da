// c. Throughput: N connections, each with one call in flight (the next goes out when the answer arrives), for a
// fixed time: round trips per second, and the target's CPU per 1,000 round trips.

import { setTimeout as sleep } from 'node:timers/promises';
import { chargerIds } from '../load-fleet.js';
import { targetStats, totalFailures, type MeasureContext } from './context.js';

export interface ThroughputOptions {
  connections: number;
  durationMs: number;
}

export interface ThroughputResult {
  messagesPerSecond: number;
  failures: number;
  cpuPer1kMs: number;
}

export async function measureThroughput(
  context: MeasureContext,
  options: ThroughputOptions,
): Promise<ThroughputResult> {
  const { fleet, target, caPem } = context;
  const opened = await fleet.open({
    url: target.ocppUrl,
    ids: chargerIds('TPUT', options.connections),
    concurrency: 100,
    caPem,
  });
  await sleep(500);
  const before = targetStats(context);
  const result = await fleet.closedLoop(options.durationMs);
  const after = targetStats(context);
  await fleet.closeAll();
  return {
    messagesPerSecond: result.answered / (options.durationMs / 1000),
    failures: totalFailures(opened.failures) + totalFailures(result.failures),
    cpuPer1kMs: ((after.cpuMs - before.cpuMs) / Math.max(1, result.answered)) * 1000,
  };
}
