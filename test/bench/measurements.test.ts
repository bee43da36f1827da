// The bench's measuring code on a small N against the direct target (the echo backend terminating TLS itself):
// each measurement returns sane numbers. Figures are never compared with a limit here: performance is shown by
// `npm run bench`, not by a timed test.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { answerFrame, startEchoBackend, type EchoBackend } from '../../bench/backend-echo.js';
import { createBenchCertificates, type BenchCertificates } from '../../bench/certificates.js';
import { stopProcess } from '../../bench/child-process.js';
import { LoadFleet } from '../../bench/load-fleet.js';
import type { MeasureContext } from '../../bench/measurements/context.js';
import { ensureWrk, measureHttpsGet } from '../../bench/measurements/https-get.js';
import { measureIdleCapacity } from '../../bench/measurements/idle-capacity.js';
import { measureLatency } from '../../bench/measurements/latency.js';
import { measureThroughput } from '../../bench/measurements/throughput.js';
import { startTarget, type Target, type TargetName } from '../../bench/targets.js';

/** A bench target in front of a fresh echo backend, with the bench's certificates in a temporary directory. */
interface TargetUnderTest {
  certificates: BenchCertificates;
  backend: EchoBackend;
  target: Target;
  stop(): Promise<void>;
}

async function startTargetUnderTest(name: TargetName): Promise<TargetUnderTest> {
  const directory = await mkdtemp(path.join(tmpdir(), `ocpp-edge-bench-${name}-`));
  const certificates = await createBenchCertificates(directory);
  const backend = await startEchoBackend({ certFile: certificates.certFile, keyFile: certificates.keyFile });
  const target = await startTarget(name, {
    backendPort: backend.port,
    backendPid: backend.process.pid,
    directOcppUrl: `wss://127.0.0.1:${backend.tlsPort}/ocpp`,
    directApiUrl: `https://127.0.0.1:${backend.tlsPort}/api/bench`,
    certificates,
    nginxBinary: 'nginx',
  });
  return {
    certificates,
    backend,
    target,
    stop: async () => {
      await target.stop();
      await stopProcess(backend.process.child);
      await rm(directory, { recursive: true, force: true });
    },
  };
}

describe('bench measurements against the direct target', () => {
  let direct: TargetUnderTest;
  let certificates: BenchCertificates;
  let target: Target;
  let fleet: LoadFleet;
  let context: MeasureContext;

  before(async () => {
    direct = await startTargetUnderTest('direct');
    ({ certificates, target } = direct);
    fleet = await LoadFleet.start(2);
    context = { target, fleet, caPem: certificates.caPem, log: () => {} };
  });

  after(async () => {
    await fleet?.stop();
    await direct?.stop();
  });

  it('answers like a central system over WSS', async () => {
    const ws = new WebSocket(`${target.ocppUrl}/CP1`, 'ocpp1.6', { ca: certificates.caPem });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    assert.equal(ws.protocol, 'ocpp1.6');
    ws.send(JSON.stringify([2, 'a', 'BootNotification', { chargePointVendor: 'v', chargePointModel: 'm' }]));
    const [answer] = (await new Promise((resolve) =>
      ws.once('message', (data) => resolve([JSON.parse(String(data))])),
    )) as [unknown[]];
    assert.equal(answer[0], 3);
    assert.equal(answer[1], 'a');
    assert.equal((answer[2] as { status: string }).status, 'Accepted');
    ws.close();
    assert.equal(answerFrame('[3,"x",{}]'), undefined, 'answers calls only');
    assert.match(answerFrame('[2,"h","Heartbeat",{}]')!, /^\[3,"h",\{"currentTime":"/);
  });

  it('a. opens and holds connections, with memory and CPU per connection', async () => {
    const result = await measureIdleCapacity(context, { connections: 20, concurrency: 10, holdMs: 100 });
    assert.equal(result.opened, 20);
    assert.equal(result.failures, 0, JSON.stringify(result.failureKinds));
    assert.ok(Number.isFinite(result.memoryPerConnectionKb));
    // A live process's whole RSS: megabytes, not bytes or kilobytes.
    assert.ok(result.rssBeforeMb > 5 && result.rssBeforeMb < 4096, `rssBeforeMb ${result.rssBeforeMb}`);
    assert.ok(result.rssHeldMb > 5 && result.rssHeldMb < 4096, `rssHeldMb ${result.rssHeldMb}`);
    assert.ok(result.cpuPerHandshakeMs >= 0);
    assert.ok(result.openSeconds > 0);
  });

  it('b. measures Heartbeat round trips', async () => {
    const result = await measureLatency(context, { chargers: 20, intervalMs: 200, durationMs: 1000 });
    assert.ok(result.answered >= 20, `answered ${result.answered}`);
    assert.equal(result.failures, 0);
    assert.ok(result.p50Ms > 0 && result.p50Ms <= result.p99Ms && result.p99Ms <= result.maxMs, JSON.stringify(result));
    assert.ok(result.cpuPer1kMs >= 0);
  });

  it('c. measures closed-loop throughput', async () => {
    const result = await measureThroughput(context, { connections: 20, durationMs: 500 });
    assert.ok(result.messagesPerSecond > 0);
    assert.equal(result.failures, 0);
  });

  it("d. measures HTTPS GET with wrk, and the target's CPU per 1k requests", async () => {
    const wrk = await ensureWrk(() => {});
    const result = await measureHttpsGet(context, wrk, { connections: 2, durationSeconds: 1, threads: 1 });
    assert.ok(result.requests > 0 && result.requestsPerSecond > 0, JSON.stringify(result));
    assert.equal(result.failures, 0);
    // The target served every one of those requests: its CPU is more than nothing, and finite per request.
    assert.ok(result.cpuPer1kMs > 0 && Number.isFinite(result.cpuPer1kMs), JSON.stringify(result));
  });

  it('counts connections that fail', async () => {
    const result = await fleet.open({
      url: 'wss://127.0.0.1:1/ocpp',
      ids: ['A', 'B', 'C'],
      concurrency: 3,
      caPem: certificates.caPem,
      timeoutMs: 5000,
    });
    assert.equal(result.opened, 0);
    assert.deepEqual(result.failures, { 'connect: ECONNREFUSED': 3 });
  });
});

describe("the node-floor target (the bench's Node floor)", () => {
  let underTest: TargetUnderTest;
  let certificates: BenchCertificates;
  let backend: EchoBackend;
  let floor: Target;

  before(async () => {
    underTest = await startTargetUnderTest('node-floor');
    ({ certificates, backend, target: floor } = underTest);
  });

  after(() => underTest?.stop());

  it('is its own process, terminating TLS with the bench certificate and passing WebSocket frames both ways', async () => {
    assert.notEqual(floor.pid, backend.process.pid);
    assert.notEqual(floor.ocppUrl, `wss://127.0.0.1:${backend.tlsPort}/ocpp`);
    const ws = new WebSocket(`${floor.ocppUrl}/CP1`, 'ocpp1.6', { ca: certificates.caPem });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    assert.equal(ws.protocol, 'ocpp1.6');
    // A message bigger than one read of either socket: the pipe keeps every byte and the order.
    const big = 'x'.repeat(200_000);
    ws.send(JSON.stringify([2, 'a', 'DataTransfer', { vendorId: 'v', data: big }]));
    ws.send(JSON.stringify([2, 'b', 'Heartbeat', {}]));
    const answers: unknown[][] = [];
    await new Promise<void>((resolve) =>
      ws.on('message', (data) => answers.push(JSON.parse(String(data))) === 2 && resolve()),
    );
    assert.deepEqual(
      answers.map((answer) => answer[1]),
      ['a', 'b'],
    );
    ws.close();
    assert.equal(floor.failure(), undefined);
  });

  it("forwards HTTPS requests through Node's HTTP server and client on a port of their own", async () => {
    const api = new URL(floor.apiUrl!);
    assert.notEqual(api.port, new URL(floor.ocppUrl).port, 'WebSockets get the byte pipe, /api/ the HTTP floor');
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpsRequest(api, { ca: certificates.caPem }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 200);
    assert.ok(body.length > 0 && JSON.parse(body), body);
  });

  it('passes HTTPS requests through to the backend', async () => {
    const wrk = await ensureWrk(() => {});
    const fleet = await LoadFleet.start(1);
    try {
      const result = await measureHttpsGet({ target: floor, fleet, caPem: certificates.caPem, log: () => {} }, wrk, {
        connections: 2,
        durationSeconds: 1,
        threads: 1,
      });
      assert.ok(result.requests > 0, JSON.stringify(result));
      assert.equal(result.failures, 0);
    } finally {
      await fleet.stop();
    }
  });
});
