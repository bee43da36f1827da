// a. Idle capacity: N WSS connections opened at a fixed concurrency and held. The target's memory per connection
// is its RSS with them held minus its RSS before (after a small warm-up, so first-use allocations do not count);
// its CPU per handshake is the CPU it spent while they were being opened (TLS, HTTP upgrade, upstream connect).

import { chargerIds } from '../load-fleet.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { targetStats, totalFailures, type MeasureContext } from './context.js';

export interface IdleCapacityOptions {
  connections: number;
  concurrency: number;
  /** Held this long before RSS is read, so lazy allocations settle. */
  holdMs: number;
}

export interface IdleCapacityResult {
  opened: number;
  /** Attempts that failed, plus connections lost while held. */
  failures: number;
  failureKinds: Record<string, number>;
  memoryPerConnectionKb: number;
  /** The target's whole RSS before the connections (after the warm-up) and with them held: what a host must have. */
  rssBeforeMb: number;
  rssHeldMb: number;
  cpuPerHandshakeMs: number;
  /** Wall time to open them all. */
  openSeconds: number;
}

const WARM_UP_CONNECTIONS = 50;

export async function measureIdleCapacity(
  context: MeasureContext,
  options: IdleCapacityOptions,
): Promise<IdleCapacityResult> {
  const { fleet, target, caPem } = context;
  await fleet.open({
    url: target.ocppUrl,
    ids: chargerIds('WARM', WARM_UP_CONNECTIONS),
    concurrency: options.concurrency,
    caPem,
  });
  await fleet.closeAll();
  await sleep(1000);

  const before = targetStats(context);
  const opened = await fleet.open({
    url: target.ocppUrl,
    ids: chargerIds('IDLE', options.connections),
    concurrency: options.concurrency,
    caPem,
  });
  const afterOpen = targetStats(context);
  await sleep(options.holdMs);
  const held = targetStats(context);
  const stillOpen = await fleet.closeAll();
  const failureKinds = { ...opened.failures };
  if (opened.opened - stillOpen > 0) failureKinds['lost while held'] = opened.opened - stillOpen;
  return {
    opened: opened.opened,
    failures: totalFailures(failureKinds),
    failureKinds,
    memoryPerConnectionKb: (held.rssBytes - before.rssBytes) / 1024 / Math.max(1, opened.opened),
    rssBeforeMb: before.rssBytes / 2 ** 20,
    rssHeldMb: held.rssBytes / 2 ** 20,
    cpuPerHandshakeMs: (afterOpen.cpuMs - before.cpuMs) / Math.max(1, opened.opened),
    openSeconds: opened.lastReadyMs / 1000,
  };
}
