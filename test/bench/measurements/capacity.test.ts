// The capacity run's measuring code on a small N (bench/measurements/capacity.ts, bench/capacity.ts,
// bench/capacity-plot.ts): a two-step ramp of the fleet mix through the cluster workers to the real backend, the
// verdict of each step, the largest fleet that held and the plot. No latency is compared with a limit here beyond
// what the verdict code itself decides.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { capacityReport } from '../../../bench/capacity.js';
import { capacitySeries, capacitySvg } from '../../../bench/capacity-plot.js';
import { createBenchCertificates, type BenchCertificates } from '../../../bench/certificates.js';
import { LoadFleet } from '../../../bench/load-fleet.js';
import {
  CAPACITY_GOALS,
  largestHolding,
  limitOf,
  measureCapacity,
  stepHolds,
  type CapacityResult,
  type CapacityStep,
} from '../../../bench/measurements/capacity.js';

function step(chargers: number, ocppP99Ms: number, apiP99Ms: number, errors = 0): CapacityStep {
  const measured = {
    chargers,
    messagesPerSecond: chargers / 10,
    ocppP50Ms: ocppP99Ms / 4,
    ocppP99Ms,
    apiRequests: 20,
    apiP50Ms: apiP99Ms / 4,
    apiP99Ms,
    errors,
    errorKinds: (errors ? { 'ocpp: unanswered': errors } : {}) as Record<string, number>,
    cpu: { proxy: 0.5, backend: 0.97, database: 0, loadGenerator: 0.4 },
    fds: { proxy: chargers * 2, backend: chargers },
  };
  return { ...measured, holds: stepHolds(measured) };
}

describe('capacity verdicts', () => {
  it('holds a step only under both p99 goals with no error', () => {
    assert.equal(step(100, CAPACITY_GOALS.ocppP99Ms - 1, CAPACITY_GOALS.apiP99Ms - 1).holds, true);
    assert.equal(step(100, CAPACITY_GOALS.ocppP99Ms, 10).holds, false);
    assert.equal(step(100, 10, CAPACITY_GOALS.apiP99Ms).holds, false);
    assert.equal(step(100, 10, 10, 1).holds, false);
  });

  it('takes the largest step of an unbroken run of held steps, and names what broke the next', () => {
    const steps = [step(1000, 20, 30), step(2000, 40, 50), step(4000, 900, 60), step(8000, 10, 10)];
    assert.equal(largestHolding(steps)?.chargers, 2000);
    assert.equal(largestHolding([step(1000, 500, 10)]), undefined);
    const reason = limitOf(steps[2]!);
    assert.match(reason, /OCPP p99 900 ms/);
    assert.match(reason, /busiest: backend at 97 % of a core/);
    assert.doesNotMatch(reason, /API p99/);
    assert.match(limitOf(step(10, 10, 10, 3)), /3 errors \(ocpp: unanswered: 3\)/);
  });

  it('plots one line per database and kind, with a point per step, and the goals', () => {
    const results: CapacityResult[] = [
      { database: 'sqlite', compression: 10, steps: [step(1000, 20, 30), step(2000, 300, 50)] },
      { database: 'postgres', compression: 10, steps: [step(1000, 25, 35)] },
    ];
    const series = capacitySeries(results);
    assert.deepEqual(
      series.map((s) => [s.label, s.points.length]),
      [
        ['sqlite: OCPP round trip p99', 2],
        ['sqlite: API request p99', 2],
        ['postgres: OCPP round trip p99', 1],
        ['postgres: API request p99', 1],
      ],
    );
    const svg = capacitySvg(results, 'test plot');
    assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
    assert.equal(svg.match(/<polyline /g)?.length, 4);
    assert.equal(svg.match(/<circle /g)?.length, 6);
    assert.match(svg, /<title>test plot<\/title>/);
    assert.match(svg, /OCPP goal 200 ms/);
    assert.match(svg, /API goal 100 ms/);
    const report = capacityReport(results);
    assert.match(
      report,
      /\*\*sqlite\*\* .*holds 1,000 chargers \(the message rate of 10,000 at real intervals\); at 2,000: OCPP p99 300 ms/,
    );
    assert.match(report, /\*\*postgres\*\* .*the ramp ended before breaking/);
  });
});

describe('capacity ramp through the full stack', () => {
  let directory: string;
  let certificates: BenchCertificates;
  let fleet: LoadFleet;

  before(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'ocpp-edge-capacity-test-'));
    certificates = await createBenchCertificates(directory);
    fleet = await LoadFleet.start(2);
  });
  after(async () => {
    await fleet.stop();
    await rm(directory, { recursive: true, force: true });
  });

  it('runs the fleet mix and the API commands at each step and measures each party', async () => {
    const result = await measureCapacity(
      fleet,
      certificates,
      { database: 'sqlite', steps: [20, 40], stepSeconds: 4, compression: 100 },
      () => {},
    );
    assert.equal(result.database, 'sqlite');
    assert.ok(result.steps.length >= 1 && result.steps.length <= 2);
    const first = result.steps[0]!;
    assert.equal(first.chargers, 20);
    assert.deepEqual(first.errorKinds, {});
    // 20 chargers, Heartbeat every 3 s and MeterValues every 0.6 s for 4 of them, for 4 s: well over 20 calls.
    assert.ok(first.messagesPerSecond > 5, JSON.stringify(first));
    assert.ok(first.apiRequests >= 6, JSON.stringify(first));
    assert.ok(first.cpu.proxy > 0 && first.cpu.backend > 0 && first.cpu.loadGenerator > 0);
    assert.ok(first.fds.proxy >= 40 && first.fds.backend >= 20, JSON.stringify(first.fds));
  });
});
