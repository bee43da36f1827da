// The simulator's measuring parts on their own: the reconnect back-off, the progress line. (Its latency histogram:
// test/common/latency-histogram.test.ts.)

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelayMs } from '../../../tools/simulate/backoff.js';
import { formatProgress } from '../../../tools/simulate/progress.js';

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
