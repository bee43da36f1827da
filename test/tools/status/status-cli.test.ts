// `ocpp-edge status` against a real proxy and backend: the processes, the certificate's days left, chargers and
// sessions, error counters that move while it samples, and exit 1 with the reason when something is down.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RPCClient } from 'ocpp-rpc';
import { API_TOKEN } from '../../support/backend-instance.js';
import { startCheckStack, type CheckStack } from '../../support/check-stack.js';
import { runCli } from '../../support/cli.js';
import { connectCharger } from '../../support/ocpp-chargers.js';
import { freePort } from '../../support/ports.js';

describe('ocpp-edge status', () => {
  let stack: CheckStack;
  let charger: RPCClient;
  let dir: string;
  let proxyMetrics: string;
  let backendMetrics: string;
  const urls = () => [
    '--proxy-metrics-url',
    proxyMetrics,
    '--backend-metrics-url',
    backendMetrics,
    '--api-url',
    stack.backend.httpUrl,
    '--token',
    API_TOKEN,
  ];
  /** A TLS handshake that fails: plain bytes to the HTTPS port. */
  const badHandshake = () =>
    new Promise<void>((resolve) => {
      const socket = net.connect(stack.proxy.proxy.httpsPort, '127.0.0.1', () => socket.end('GET / HTTP/1.1\r\n\r\n'));
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });

  before(async () => {
    stack = await startCheckStack();
    dir = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-status-'));
    proxyMetrics = `http://127.0.0.1:${stack.proxy.proxy.metricsPort}`;
    backendMetrics = `http://127.0.0.1:${stack.backend.handle.metricsPort}`;
    charger = await connectCharger(stack.backend.ocppUrl, 'CP-STATUS');
    await charger.call('BootNotification', { chargePointVendor: 'Acme', chargePointModel: 'X' });
    await stack.backend.api('PUT', '/api/id-tags/DRIVER', { status: 'Accepted' });
    await charger.call('StartTransaction', {
      connectorId: 1,
      idTag: 'DRIVER',
      meterStart: 0,
      timestamp: new Date().toISOString(),
    });
    await badHandshake();
  });
  after(async () => {
    await charger?.close({ force: true });
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('one screen: both processes up, the certificate, chargers, sessions, errors moving while it samples', async () => {
    const running = runCli(['status', ...urls(), '--sample', '2']);
    // Failed handshakes all through the run, so some land between its two readings.
    let done = false;
    void running.finally(() => (done = true));
    while (!done) {
      await badHandshake();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const result = await running;
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const out = result.stdout;
    assert.match(
      out,
      /^proxy {5}up {4}http:\/\/127\.0\.0\.1:\d+ {2}ocpp-edge \S+, Node v\d+\.\d+\.\d+, pid \d+, up \d+ min$/m,
    );
    assert.match(out, /^backend {3}up {4}http:\/\/127\.0\.0\.1:\d+ {2}ocpp-edge \S+, Node v\d+/m);
    assert.match(out, /^ {2}upstream http:\/\/127\.0\.0\.1:\d+: healthy, 0 WebSocket sessions$/m);
    assert.match(out, /^certificate {3}localhost, 127\.0\.0\.1 \(files\): \d+ days left, until \S+Z$/m);
    assert.match(out, /^chargers {6}1 connected to the backend, 0 WebSocket sessions through the proxy$/m);
    assert.match(out, /^sessions {6}1 running$/m);
    assert.match(out, /^ERRORS\s+SINCE START\s+LAST 2 S\s+PER MINUTE$/m);
    const handshakes = /^proxy TLS handshake errors\s+(\d+)\s+(\d+)\s+(\d+\.\d)$/m.exec(out);
    assert.ok(handshakes, out);
    assert.ok(Number(handshakes[1]) >= 2 && Number(handshakes[2]) >= 1, out);
    assert.equal(Number(handshakes[3]), (Number(handshakes[2]) * 60) / 2);
    assert.match(out, /^backend HTTP 5xx\s+0\s+0\s+0\.0$/m);
    assert.match(out, /\nOK\n$/);
  });

  test('--json: the same facts for scripts; a certificate under --min-days is a problem (exit 1)', async () => {
    const result = await runCli(['status', ...urls(), '--sample', '0', '--json', '--min-days', '100000']);
    assert.equal(result.code, 1, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.equal(report.proxy.up, true);
    assert.equal(report.backend.up, true);
    assert.equal(report.chargers.connected, 1);
    assert.equal(report.sessions.running, 1);
    const [certificate] = report.certificates;
    assert.deepEqual(certificate.names, ['localhost', '127.0.0.1']);
    assert.equal(certificate.daysLeft, Math.floor((Date.parse(certificate.notAfter) - Date.now()) / 86_400_000));
    assert.equal(report.errors.windowSeconds, 0);
    assert.equal(
      report.errors.counts.find((c: { what: string }) => c.what === 'TLS handshake errors').recent,
      undefined,
    );
    assert.deepEqual(report.problems, [`certificate for localhost, 127.0.0.1 has ${certificate.daysLeft} days left`]);
  });

  test('a process that does not answer is DOWN and the exit code is 1; --config says where the listeners are', async () => {
    const file = path.join(dir, 'stack.yaml');
    const closed = await freePort();
    await writeFile(
      file,
      `proxy:\n  metrics-port: ${stack.proxy.proxy.metricsPort}\nbackend:\n  metrics-port: ${closed}\n`,
    );
    const result = await runCli(['status', '--config', file, '--sample', '0']);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^proxy {5}up {4}http:\/\/127\.0\.0\.1:\d+/m);
    assert.match(result.stdout, new RegExp(`^backend {3}DOWN  http://127\\.0\\.0\\.1:${closed}: ECONNREFUSED$`, 'm'));
    assert.match(result.stdout, /^chargers {6}\? connected to the backend, 0 WebSocket sessions/m);
    assert.match(result.stdout, /^sessions {6}\? \(no API token/m);
    assert.match(
      result.stdout,
      new RegExp(`^PROBLEM: backend not answering at http://127\\.0\\.0\\.1:${closed}: ECONNREFUSED$`, 'm'),
    );
  });
});
