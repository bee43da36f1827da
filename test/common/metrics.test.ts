// common/metrics.ts: the registry both processes serve on their private metrics listener. The event loop is
// sampled every 100 ms, not at prom-client's default of 10 ms (an idle process woke 100 times a second for it), and
// a stall still shows in full. Read through the real /metrics listener; this test process's own event loop is the
// one measured. Every scrape starts a new measurement window (prom-client resets the histogram).

import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import type { Registry } from 'prom-client';
import { createRegistry, EVENT_LOOP_SAMPLE_MS, startMetricsServer } from '../../common/metrics.js';
import { metricValue } from '../support/proxy-under-test.js';
import { setTimeout as sleep } from 'node:timers/promises';

describe('event-loop delay metrics', () => {
  let registry: Registry;
  let server: Server;

  before(async () => {
    registry = createRegistry('test');
    server = await startMetricsServer(registry, { host: '127.0.0.1', port: 0 });
  });

  after(() => {
    server.close();
    registry.clear();
  });

  async function scrape(): Promise<string> {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
    assert.equal(response.status, 200);
    return response.text();
  }

  function lag(text: string, statistic: 'min' | 'max'): number {
    const value = metricValue(text, `nodejs_eventloop_lag_${statistic}_seconds`, { process: 'test' });
    assert.ok(value !== undefined, `nodejs_eventloop_lag_${statistic}_seconds is exported`);
    return value;
  }

  test('the event loop is sampled every 100 ms: no interval between two samples is shorter', async () => {
    assert.equal(EVENT_LOOP_SAMPLE_MS, 100);
    await scrape();
    await sleep(550);
    const text = await scrape();
    const shortest = lag(text, 'min');
    assert.ok(lag(text, 'max') >= shortest, 'samples were taken in the window');
    // A timer may fire up to a millisecond early (libuv's clock); with the 10 ms default this reads about 0.01.
    assert.ok(shortest >= 0.09, `shortest interval ${shortest} s`);
  });

  test('a 200 ms stall of the event loop shows in nodejs_eventloop_lag_max_seconds', async () => {
    await scrape();
    await sleep(350);
    const started = performance.now();
    while (performance.now() - started < 200) {
      // Blocking on purpose: nothing else runs, the next sample comes late by the whole stall.
    }
    await sleep(150);
    const longest = lag(await scrape(), 'max');
    assert.ok(longest >= 0.15, `longest interval ${longest} s after a 200 ms stall`);
  });
});
