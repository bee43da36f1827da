// b. Latency: N chargers sending Heartbeats, each once per interval with phases spread evenly (N / interval
// messages per second in all), for a fixed time. RTT percentiles over every answered call; the target's CPU per
// 1,000 round trips (a call and its answer: two frames through the proxy).

import { setTimeout as sleep } from 'node:timers/promises';
import { LatencyHistogram } from '../../common/latency-histogram.js';
import { chargerIds } from '../load-fleet.js';
import { targetStats, totalFailures, type MeasureContext } from './context.js';

export interface LatencyOptions {
  chargers: number;
  intervalMs: number;
  durationMs: number;
}

export interface LatencyResult {
  answered: number;
  failures: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  cpuPer1kMs: number;
}

export async function measureLatency(context: MeasureContext, options: LatencyOptions): Promise<LatencyResult> {
  const { fleet, target, caPem } = context;
  const opened = await fleet.open({
    url: target.ocppUrl,
    ids: chargerIds('LAT', options.chargers),
    concurrency: 100,
    caPem,
  });
  await sleep(500);
  const before = targetStats(context);
  const result = await fleet.heartbeats(options.intervalMs, options.durationMs);
  const after = targetStats(context);
  await fleet.closeAll();
  const rtt = LatencyHistogram.of(result.rttMs);
  return {
    answered: result.answered,
    failures: totalFailures(opened.failures) + totalFailures(result.failures),
    p50Ms: rtt.percentileMs(50),
    p99Ms: rtt.percentileMs(99),
    maxMs: rtt.maxMs,
    cpuPer1kMs: ((after.cpuMs - before.cpuMs) / Math.max(1, result.answered)) * 1000,
  };
}
