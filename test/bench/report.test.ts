// How the bench turns runs into its table (bench/report.ts) and reads wrk (measurements/https-get.ts).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWrkOutput } from '../../bench/measurements/https-get.js';
import { markdownTable, summarise, textTable } from '../../bench/report.js';
import { repetitionOrder } from '../../bench/statistics.js';

describe('bench report', () => {
  it('reports medians, ratios to nginx and whether each target is met', () => {
    const lines = summarise([
      {
        measurement: 'memory',
        unit: 'KB',
        runs: { 'ocpp-edge': [30, 40], nginx: [40, 50], direct: [30, 30] },
        goal: { kind: 'ratio', direction: 'at-most', limit: 1.0 },
      },
      {
        measurement: 'rate',
        unit: 'msg/s',
        runs: { 'ocpp-edge': [700], nginx: [1000] },
        goal: { kind: 'ratio', direction: 'at-least', limit: 0.8 },
      },
      {
        measurement: 'failures',
        unit: 'count',
        runs: { 'ocpp-edge': [0, 1], nginx: [0, 0] },
        goal: { kind: 'zero' },
        sum: true,
      },
    ]);
    assert.deepEqual(lines[0]!.values, { 'ocpp-edge': 35, nginx: 45, direct: 30 });
    assert.equal(lines[0]!.ratio, 35 / 45);
    assert.equal(lines[0]!.met, true);
    assert.equal(lines[1]!.met, false);
    assert.equal(lines[1]!.clusterRatio, undefined);
    assert.equal(lines[2]!.values['ocpp-edge'], 1);
    assert.equal(lines[2]!.met, false);
    assert.match(textTable(lines), /MISSED/);
    assert.match(
      markdownTable(lines),
      /^\| measurement \| ocpp-edge \| ocpp-edge-x2 \| nginx \| node-floor \| direct \|/,
    );
  });

  it('shows the Node floor against nginx, which no target judgement uses', () => {
    const [line] = summarise([
      {
        measurement: 'cpu',
        unit: 'ms',
        runs: { 'ocpp-edge': [1.8], nginx: [1.0], 'node-floor': [1.6] },
        goal: { kind: 'ratio', direction: 'at-most', limit: 1.5 },
      },
    ]);
    assert.equal(line!.floorRatio, 1.6);
    assert.equal(line!.met, false, 'judged on ocpp-edge alone');
    const [header, , row] = markdownTable([line!]).split('\n');
    assert.match(header!, /\| floor \/ nginx \|/);
    assert.match(row!, /\| 1\.80× \| {2}\| 1\.60× \| ≤ 1\.5× \| MISSED \|/);
  });

  it('lets cluster workers meet the targets that allow them', () => {
    const [line] = summarise([
      {
        measurement: 'rate',
        unit: 'req/s',
        runs: { 'ocpp-edge': [500], 'ocpp-edge-x2': [900], nginx: [1000] },
        goal: { kind: 'ratio', direction: 'at-least', limit: 0.8 },
        clusterAllowed: true,
      },
    ]);
    assert.equal(line!.ratio, 0.5);
    assert.equal(line!.clusterRatio, 0.9);
    assert.equal(line!.met, true);
  });

  it('starts each repetition with another target, every target once per repetition', () => {
    const targets = ['ocpp-edge', 'ocpp-edge-x2', 'nginx', 'direct'];
    assert.deepEqual(repetitionOrder(targets, 1), targets);
    assert.deepEqual(repetitionOrder(targets, 2), ['ocpp-edge-x2', 'nginx', 'direct', 'ocpp-edge']);
    assert.deepEqual(repetitionOrder(targets, 5), targets);
    const firsts = [1, 2, 3, 4].map((rep) => repetitionOrder(targets, rep)[0]);
    assert.deepEqual([...firsts].sort(), [...targets].sort());
    assert.deepEqual(repetitionOrder([], 3), []);
  });

  it('reads requests per second, p99 and errors from wrk', () => {
    const output = `Running 8s test @ https://127.0.0.1:4443/api/bench
  2 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.01ms    1.20ms  30.00ms   90.00%
  Latency Distribution
     50%    1.80ms
     75%    2.20ms
     90%    3.00ms
     99%  850.00us
  40000 requests in 8.00s, 10.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   5000.50
Transfer/sec:      1.25MB
`;
    assert.deepEqual(parseWrkOutput(output), { requestsPerSecond: 5000.5, requests: 40000, p99Ms: 0.85, failures: 7 });
  });
});
