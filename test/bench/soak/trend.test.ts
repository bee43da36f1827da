// The soak's verdict (bench/soak/trend.ts, thresholds.ts via judge) and its plot (svg-plot.ts): a steady rise in
// the second half fails, a flat series, a sawtooth and a rise confined to the warm-up do not.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSample } from '../../../bench/soak/process-sample.js';
import { judge, plot } from '../../../bench/soak/run.js';
import { niceCeiling, renderSvg } from '../../../bench/soak/svg-plot.js';
import { growthVerdict, leastSquares, slopeBesideLoad, type Point } from '../../../bench/soak/trend.js';

const MiB = 1024 * 1024;
const series = (count: number, value: (t: number) => number): Point[] =>
  Array.from({ length: count }, (_, index) => ({ t: index * 10, value: value(index * 10) }));

describe('soak trend', () => {
  it('fits a least-squares line', () => {
    const fit = leastSquares(series(10, (t) => 3 * t + 7));
    assert.ok(Math.abs(fit.slope - 3) < 1e-9);
    assert.ok(Math.abs(fit.intercept - 7) < 1e-9);
    assert.deepEqual(leastSquares([{ t: 5, value: 2 }]), { slope: 0, intercept: 2 });
  });

  it('fails a steady rise across the second half above the threshold, passes one below it', () => {
    // 100 MiB rising 0.1 MiB per 10 s sample: 4.9 MiB across the second half's 49 intervals.
    const rising = series(100, (t) => 100 * MiB + (t / 10) * 0.1 * MiB);
    const strict = growthVerdict(rising, { relative: 0.01, floor: 0 });
    assert.equal(strict.grows, true);
    assert.ok(Math.abs(strict.rise - 4.9 * MiB) < 1e-3 * MiB, `rise ${strict.rise / MiB} MiB`);
    assert.equal(growthVerdict(rising, { relative: 0.1, floor: 0 }).grows, false);
    assert.equal(growthVerdict(rising, { relative: 0, floor: 8 * MiB }).grows, false);
  });

  it('does not count growth the connected chargers explain, counts what grows beside them', () => {
    // Chargers coming back after a restart: 2 descriptors each, the count climbing with them through the half.
    const load = (t: number) => 200 + 300 * Math.sqrt(t / 1000);
    const following = series(100, (t) => 40 + 2 * load(t)).map((point) => ({ ...point, load: load(point.t) }));
    assert.ok(leastSquares(following.slice(50)).slope > 0.3, 'a plain line sees them rise');
    assert.ok(Math.abs(slopeBesideLoad(following.slice(50))) < 1e-6);
    assert.equal(growthVerdict(following, { relative: 0.05, floor: 32 }).grows, false);
    const leaking = following.map((point) => ({ ...point, value: point.value + 0.5 * point.t }));
    assert.ok(Math.abs(slopeBesideLoad(leaking.slice(50)) - 0.5) < 1e-6);
    assert.equal(growthVerdict(leaking, { relative: 0.05, floor: 32 }).grows, true);
    // A load that never moves tells nothing: the plain slope.
    const steady = series(20, (t) => 3 * t).map((point) => ({ ...point, load: 500 }));
    assert.ok(Math.abs(slopeBesideLoad(steady) - 3) < 1e-9);
  });

  it('passes a flat series, a sawtooth and a warm-up that levels off', () => {
    const threshold = { relative: 0.1, floor: 0 };
    assert.equal(
      growthVerdict(
        series(60, () => 50),
        threshold,
      ).grows,
      false,
    );
    const sawtooth = series(120, (t) => 100 + ((t / 10) % 12) * 5);
    assert.equal(growthVerdict(sawtooth, threshold).grows, false);
    const warmUp = series(60, (t) => Math.min(200, 50 + t));
    assert.equal(growthVerdict(warmUp, threshold).grows, false);
    // Too few samples in the second half to say anything.
    assert.equal(
      growthVerdict(
        series(6, (t) => t * 1000),
        threshold,
      ).grows,
      false,
    );
  });

  it("judges every quantity of every process, the leaking process's RSS alone grows", () => {
    const sample = (rss: number) => ({
      rssBytes: rss,
      heapUsedBytes: 40 * MiB,
      openFds: 120,
      eventLoopDelayMs: 12,
      activeHandles: 110,
      activeTimers: 9,
    });
    const samples = new Map([
      ['proxy', series(90, () => 0).map(({ t }) => ({ t, sample: sample(150 * MiB) }))],
      ['backend', series(90, () => 0).map(({ t }) => ({ t, sample: sample(150 * MiB + t * 0.2 * MiB) }))],
    ]);
    const verdicts = judge(samples);
    assert.equal(verdicts.length, 12);
    assert.deepEqual(
      verdicts.filter((entry) => entry.verdict.grows).map((entry) => `${entry.process} ${entry.quantity}`),
      ['backend RSS'],
    );
    const svg = plot('soak', samples);
    // Six quantities of two processes, and the chargers connected (none sampled here: no line).
    assert.equal((svg.match(/<polyline /g) ?? []).length, 12);
    assert.ok(svg.includes('>chargers connected<'));
  });
});

describe('soak samples and plot', () => {
  it("reads a process's quantities from its Prometheus text", () => {
    const text = [
      'process_resident_memory_bytes 123456789',
      'nodejs_heap_size_used_bytes 2345678',
      'process_open_fds 42',
      'nodejs_eventloop_lag_p99_seconds 0.0125',
      'nodejs_active_handles_total 17',
      'nodejs_active_resources{type="TCPSocketWrap"} 10',
      'nodejs_active_resources{type="Timeout"} 6',
    ].join('\n');
    assert.deepEqual(parseSample(text), {
      rssBytes: 123456789,
      heapUsedBytes: 2345678,
      openFds: 42,
      eventLoopDelayMs: 12.5,
      activeHandles: 17,
      activeTimers: 6,
    });
    assert.ok(Number.isNaN(parseSample('').rssBytes));
  });

  it('renders panels with a line per series, scaled from 0 to a round maximum, text escaped', () => {
    assert.equal(niceCeiling(0), 1);
    assert.equal(niceCeiling(130), 200);
    assert.equal(niceCeiling(500), 500);
    assert.equal(niceCeiling(0.03), 0.05);
    const svg = renderSvg('a <b> & c', [
      {
        title: 'RSS',
        format: (value) => `${value}`,
        series: [
          {
            label: 'proxy',
            points: [
              { t: 0, value: 0 },
              { t: 600, value: 130 },
            ],
          },
          { label: 'backend', points: [] },
        ],
      },
    ]);
    assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
    assert.ok(svg.includes('<title>a &lt;b&gt; &amp; c</title>'));
    // The axis tops at 200; 130 of 200 on a 114-pixel plot starting at y 58: y = 58 + 114 − 74.1.
    assert.ok(svg.includes('>200<'));
    assert.match(svg, /<polyline [^>]*points="80\.0,172\.0 740\.0,97\.9"/);
    assert.equal((svg.match(/<polyline /g) ?? []).length, 1, 'an empty series draws no line, only its legend');
    assert.ok(svg.includes('>backend<'));
  });
});
