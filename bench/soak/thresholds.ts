// What "grows without bound" means for each sampled quantity in `npm run soak`: the fitted rise across the second
// half of the run may not exceed `relative` of the quantity's mean there, nor `floor` (whichever is larger).
// Memory gets 10 %: a steady 10 % in a quarter of an hour is a leak to hunt; the floors keep small and noisy
// quantities (a few timers, a few ms of event-loop delay) from failing on noise.

import type { SampleKey } from './process-sample.js';
import type { Threshold } from './trend.js';

const MiB = 1024 * 1024;

export const QUANTITIES: ReadonlyArray<{
  key: SampleKey;
  title: string;
  threshold: Threshold;
  format(value: number): string;
}> = [
  {
    key: 'rssBytes',
    title: 'RSS',
    threshold: { relative: 0.1, floor: 16 * MiB },
    format: (value) => `${(value / MiB).toFixed(0)} MiB`,
  },
  {
    key: 'heapUsedBytes',
    title: 'V8 heap used',
    threshold: { relative: 0.1, floor: 8 * MiB },
    format: (value) => `${(value / MiB).toFixed(0)} MiB`,
  },
  {
    key: 'openFds',
    title: 'open file descriptors',
    threshold: { relative: 0.05, floor: 32 },
    format: (value) => value.toFixed(0),
  },
  {
    key: 'eventLoopDelayMs',
    title: 'event-loop delay p99',
    threshold: { relative: 0.5, floor: 20 },
    format: (value) => `${value.toFixed(0)} ms`,
  },
  {
    key: 'activeHandles',
    title: 'active handles',
    threshold: { relative: 0.05, floor: 32 },
    format: (value) => value.toFixed(0),
  },
  {
    key: 'activeTimers',
    title: 'active timers',
    threshold: { relative: 0.05, floor: 32 },
    format: (value) => value.toFixed(0),
  },
];
