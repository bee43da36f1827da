// `ocpp-edge simulate` as an operator runs it: a real process (node dist/bin/ocpp-edge.js simulate ...) against a
// central system on loopback, its report on stdout, progress on stderr and the documented exit codes.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import type { SimulationReport } from '../../../tools/simulate/report.js';
import { runCli, spawnOcppEdge, type CliResult } from '../../support/cli.js';
import { freePort } from '../../support/ports.js';
import { startCentralSystem, type TestCentralSystem } from '../../support/simulate-central-system.js';
import { selfSignedCertificate } from '../../support/simulate-test-support.js';

/** Runs `ocpp-edge simulate ...args`; kills it (and fails) if it outlives `timeoutMs`. */
function simulate(args: string[], timeoutMs = 15_000): Promise<CliResult> {
  return runCli(['simulate', ...args], { env: { NODE_ENV: 'test' }, timeoutMs });
}

describe('ocpp-edge simulate (CLI)', () => {
  let system: TestCentralSystem;
  before(async () => {
    system = await startCentralSystem({ interval: 1 });
  });
  after(async () => {
    await system.close();
  });

  it('prints the report as JSON with --json, progress lines on stderr, and exits 0', async () => {
    const run = await simulate([
      '--url',
      system.url,
      '--chargers',
      '5',
      '--ramp',
      '20',
      '--duration',
      '2.5',
      '--id-prefix',
      'CLI-',
      '--json',
      '--progress-interval',
      '1',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as SimulationReport;
    assert.equal(report.ok, true);
    assert.equal(report.chargers.booted, 5);
    assert.equal(report.settings.idPrefix, 'CLI-');
    assert.ok(['CLI-00001', 'CLI-00005'].every((id) => system.identities.has(id)));
    assert.ok(report.calls.Heartbeat!.ok >= 5);
    assert.ok(report.calls.BootNotification!.rttMs.p99 > 0);
    assert.match(run.stderr, /started 5\/5 {2}connected 5 {2}booted 5 {2}msg\/s/);
  });

  it('prints a table without --json', async () => {
    const run = await simulate(['--url', system.url, '--chargers', '2', '--duration', '1.2', '--id-prefix', 'TABLE']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^ocpp-edge simulate: 2 chargers → ws:\/\/127\.0\.0\.1:\d+\/ocpp/);
    assert.match(run.stdout, /^BootNotification RTT +2 +0 /m);
    assert.match(run.stdout, /result: OK\n$/);
  });

  it('exits 1 when not a single charger could connect, naming the error', async () => {
    const port = await freePort();
    const run = await simulate([
      '--url',
      `ws://127.0.0.1:${port}/ocpp`,
      '--chargers',
      '3',
      '--duration',
      '1.5',
      '--backoff-initial',
      '0.2',
      '--json',
    ]);
    assert.equal(run.code, 1);
    const report = JSON.parse(run.stdout) as SimulationReport;
    assert.equal(report.ok, false);
    assert.ok(report.errors['connect: ECONNREFUSED']! >= 3);
  });

  it('exits 2 naming the option when the configuration is invalid', async () => {
    const run = await simulate(['--url', 'http://127.0.0.1/ocpp']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /invalid configuration: --url: expects a ws:\/\/ or wss:\/\/ URL/);
    const missingCa = await simulate(['--url', 'wss://127.0.0.1:1/ocpp', '--ca', '/nonexistent/ca.pem']);
    assert.equal(missingCa.code, 2);
    assert.match(missingCa.stderr, /invalid configuration: --ca: cannot read \/nonexistent\/ca\.pem: ENOENT/);
  });

  it('connects over wss:// with --ca, and fails (exit 1) without it', async () => {
    const certificate = selfSignedCertificate();
    const secure = await startCentralSystem({ tls: certificate, interval: 1 });
    try {
      const trusted = await simulate([
        '--url',
        secure.url,
        '--chargers',
        '3',
        '--duration',
        '1.5',
        '--ca',
        certificate.certFile,
        '--json',
      ]);
      assert.equal(trusted.code, 0, trusted.stderr);
      assert.equal((JSON.parse(trusted.stdout) as SimulationReport).chargers.booted, 3);

      const untrusted = await simulate(['--url', secure.url, '--chargers', '1', '--duration', '1', '--json']);
      assert.equal(untrusted.code, 1);
      assert.ok(
        Object.keys((JSON.parse(untrusted.stdout) as SimulationReport).errors).some((kind) =>
          kind.includes('SELF_SIGNED'),
        ),
      );
    } finally {
      await secure.close();
      certificate.cleanup();
    }
  });

  it('ends early on SIGINT and still prints the report', async () => {
    const args = [
      'simulate',
      '--url',
      system.url,
      '--chargers',
      '2',
      '--duration',
      '60',
      '--json',
      '--progress-interval',
      '0.2',
    ];
    const simulator = spawnOcppEdge(args);
    const { child } = simulator;
    let stdout = '';
    child.stdout!.on('data', (chunk: string) => (stdout += chunk));
    // Interrupt once it is running (both booted), not while node is still loading modules.
    let stderr = '';
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      if (/booted 2/.test(stderr) && child.exitCode === null && !child.killed) child.kill('SIGINT');
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const [code] = await once(child, 'close');
    clearTimeout(killer);
    assert.equal(code, 0, stderr);
    const report = JSON.parse(stdout) as SimulationReport;
    assert.equal(report.interrupted, true);
    assert.equal(report.chargers.booted, 2);
  });
});
