// The latency histogram the simulator and the bench report percentiles from (hdr-histogram-js underneath).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LatencyHistogram } from '../../common/latency-histogram.js';

describe('LatencyHistogram', () => {
  it('gives percentiles within 1% of the exact ones, from microseconds to minutes', () => {
    const samples: number[] = [];
    const histogram = new LatencyHistogram();
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

  it('is built from collected samples, as the bench does with its raw round trips', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    const histogram = LatencyHistogram.of(samples);
    assert.equal(histogram.count, 100);
    for (const percentile of [50, 99]) assert.ok(Math.abs(histogram.percentileMs(percentile) - percentile) < 0.1);
    assert.equal(histogram.percentileMs(100), 100, 'never above the largest sample');
    assert.equal(histogram.maxMs, 100);
    assert.equal(LatencyHistogram.of([]).percentileMs(99), 0);
  });

  it('is empty-safe and merges', () => {
    const a = new LatencyHistogram();
    assert.deepEqual(a.summary(), { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 });
    const b = new LatencyHistogram();
    for (const ms of [1, 2, 3]) a.recordMs(ms);
    for (const ms of [4, 5]) b.recordMs(ms);
    a.merge(b);
    assert.equal(a.count, 5);
    assert.ok(Math.abs(a.percentileMs(50) - 3) < 0.03, 'median within 1%');
    assert.equal(a.summary().max, 5);
    assert.equal(a.summary().mean, 3);
  });

  it('keeps values beyond its range in its last slot instead of failing', () => {
    const histogram = new LatencyHistogram();
    histogram.recordMs(30 * 86_400_000);
    assert.equal(histogram.count, 1);
    assert.equal(histogram.summary().max, 30 * 86_400_000);
  });
});
