// The simulator's measuring parts on their own: the latency histogram, the reconnect back-off, the progress line.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelayMs } from '../../../tools/simulate/backoff.js';
import { Histogram } from '../../../tools/simulate/histogram.js';
import { formatProgress } from '../../../tools/simulate/progress.js';

describe('Histogram', () => {
  it('gives percentiles within 1% of the exact ones, from microseconds to minutes', () => {
    const samples: number[] = [];
    const histogram = new Histogram();
    for (let i = 0; i < 100_000; i++) {
      // Log-uniform over 0.01 ms .. 100 s.
      const ms = 10 ** (-2 + Math.random() * 7);
      samples.push(ms);
      histogram.recordMs(ms);
    }
    samples.sort((a, b) => a - b);
    for (const percentile of [50, 90, 99, 99.9]) {
      const exact = samples[Math.ceil((percentile / 100) * samples.length) - 1]!;
      const estimate = histogram.percentileMs(percentile);
      assert.ok(
        Math.abs(estimate - exact) / exact < 0.01 || Math.abs(estimate - exact) <= 0.001,
        `p${percentile}: ${estimate} vs ${exact}`,
      );
    }
    const summary = histogram.summary();
    assert.equal(summary.count, 100_000);
    assert.equal(summary.max, Math.round(samples.at(-1)! * 1000) / 1000);
  });

  it('is empty-safe and merges', () => {
    const a = new Histogram();
    assert.deepEqual(a.summary(), { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 });
    const b = new Histogram();
    for (const ms of [1, 2, 3]) a.recordMs(ms);
    for (const ms of [4, 5]) b.recordMs(ms);
    a.merge(b);
    assert.equal(a.count, 5);
    assert.ok(Math.abs(a.percentileMs(50) - 3) < 0.03, 'median within 1%');
    assert.equal(a.summary().max, 5);
    assert.equal(a.summary().mean, 3);
  });

  it('keeps values beyond its range in its last slot instead of failing', () => {
    const histogram = new Histogram();
    histogram.recordMs(30 * 86_400_000);
    assert.equal(histogram.count, 1);
    assert.equal(histogram.summary().max, 30 * 86_400_000);
  });
});

describe('backoffDelayMs', () => {
  const settings = { initialMs: 1000, maxMs: 60_000 };

  it('doubles per attempt between half and all of the window, up to the ceiling', () => {
    assert.equal(
      backoffDelayMs(settings, 0, () => 0),
      500,
    );
    assert.equal(
      backoffDelayMs(settings, 0, () => 1),
      1000,
    );
    assert.equal(
      backoffDelayMs(settings, 3, () => 0),
      4000,
    );
    assert.equal(
      backoffDelayMs(settings, 3, () => 1),
      8000,
    );
    assert.equal(
      backoffDelayMs(settings, 10, () => 1),
      60_000,
    );
    assert.equal(
      backoffDelayMs(settings, 1000, () => 0),
      30_000,
    );
  });

  it('spreads chargers dropped together over the window', () => {
    const delays = Array.from({ length: 1000 }, () => backoffDelayMs(settings, 2));
    assert.ok(delays.every((delay) => delay >= 2000 && delay <= 4000));
    // Eight quarter seconds from 2 s to 4 s; 4000 itself (random() close to 1) counts in the last one.
    const quarters = new Set(delays.map((delay) => Math.min(15, Math.floor(delay / 250))));
    assert.equal(quarters.size, 8, 'every quarter second of the window used');
  });
});

describe('formatProgress', () => {
  it('shows connected, booted, messages per second since the last line, errors and reconnects', () => {
    const previous = {
      elapsedMs: 1000,
      started: 10,
      connected: 10,
      booted: 8,
      messages: 100,
      errors: 0,
      reconnects: 0,
    };
    const now = { elapsedMs: 3000, started: 20, connected: 19, booted: 18, messages: 500, errors: 2, reconnects: 1 };
    assert.equal(
      formatProgress(now, previous, 20),
      '[00:03]  started 20/20  connected 19  booted 18  msg/s 200  errors 2  reconnects 1',
    );
    assert.match(formatProgress({ ...now, elapsedMs: 3_725_000 }, undefined, 20), /^\[1:02:05\]/);
  });
});
