// `ocpp-edge check` as an operator runs it: the real CLI (node dist/bin/ocpp-edge.js check ...) against the real
// proxy and backend started here, with its table on stdout, --json for scripts and the documented exit codes
// (0 all passed, 1 a check failed, 2 invalid configuration).

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CheckReport } from '../../../tools/check/report.js';
import { runCli, type CliResult } from '../../support/cli.js';
import { failedTableRows, retryWhenOnlySlow, startCheckStack, type CheckStack } from '../../support/check-stack.js';

/**
 * An OpenSSL configuration for Node (its `nodejs_conf` section) that forbids TLS 1.0 and 1.1 on this side: the
 * client then cannot even send a ClientHello for them, as on distributions whose OpenSSL is built or configured so.
 */
const CLIENT_WITHOUT_OLD_TLS = `nodejs_conf = nodejs_init
[nodejs_init]
ssl_conf = ssl_module
[ssl_module]
system_default = tls_defaults
[tls_defaults]
Protocol = -TLSv1, -TLSv1.1
`;

/** Runs `ocpp-edge check ...args`; kills it (and fails) if it outlives `timeoutMs`. */
function check(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 20_000): Promise<CliResult> {
  return runCli(['check', ...args], { env, timeoutMs });
}

describe('ocpp-edge check (CLI)', () => {
  let stack: CheckStack;
  let strict: CheckStack;
  before(async () => {
    [stack, strict] = await Promise.all([startCheckStack(), startCheckStack({ registration: 'known' })]);
  });
  after(async () => {
    await Promise.all([stack.close(), strict.close()]);
  });

  const flags = (target: CheckStack) => [
    target.url,
    '--address',
    '127.0.0.1',
    '--http-port',
    String(target.httpPort),
    '--ca',
    target.caFile,
  ];

  test('prints a table with ✓ per check and exits 0 when everything passes', async () => {
    const run = await retryWhenOnlySlow(
      () => check([...flags(stack), '--charger-id', 'CLI-CHECK']),
      (result) => failedTableRows(result.stdout),
    );
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const lines = run.stdout.split('\n');
    assert.equal(lines[0], `ocpp-edge check ${stack.url} (connecting to 127.0.0.1)`);
    const rows = lines.filter((line) => /^[✓✗?–] /.test(line));
    assert.equal(rows.length, 16);
    assert.ok(
      rows.every((line) => line.startsWith('✓ ')),
      rows.join('\n'),
    );
    assert.match(run.stdout, /^✓ certificate expiry +(88|89) days left +≥ 7 days/m);
    assert.match(run.stdout, /^✓ TLS 1\.1 +refused +refused +by the server/m);
    assert.match(run.stdout, /^✓ \/health +200 in \d+\.\d ms +< 50 ms/m);
    assert.match(run.stdout, /^✓ WebSocket upgrade +101 in \d+(\.\d)? ms +< 100 ms/m);
    assert.match(run.stdout, /^✓ Heartbeat +\d+(\.\d)? ms +< 500 ms/m);
    assert.match(run.stdout, /^OK: 16 passed, 0 failed \(\d+\.\d s\)$/m);
  });

  test('--json gives every check with its status and figures for scripts', async () => {
    const run = await retryWhenOnlySlow(
      () => check([...flags(stack), '--charger-id', 'CLI-JSON', '--json']),
      (result) =>
        (JSON.parse(result.stdout) as CheckReport).checks
          .filter((entry) => entry.status === 'fail')
          .map((entry) => entry.detail ?? ''),
    );
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as CheckReport;
    assert.equal(report.ok, true);
    assert.equal(report.url, stack.url);
    assert.equal(report.address, '127.0.0.1');
    assert.deepEqual(report.counts, { pass: 16, fail: 0, inconclusive: 0, skipped: 0 });
    const heartbeat = report.checks.find((entry) => entry.name === 'Heartbeat')!;
    assert.equal(heartbeat.group, 'websocket');
    assert.equal(heartbeat.unit, 'ms');
    assert.equal(heartbeat.limit, 500);
    assert.equal(typeof heartbeat.value, 'number');
    const expiry = report.checks.find((entry) => entry.name === 'certificate expiry')!;
    assert.equal(expiry.unit, 'days');
    assert.ok(expiry.value! > 88);
  });

  test('marks the failed check with ✗ and exits 1: a central system that refuses the charger', async () => {
    const run = await retryWhenOnlySlow(
      () => check([...flags(strict), '--charger-id', 'UNKNOWN-CHARGER']),
      // The upgrade's ✗ is expected; only timing failures besides it call for another run.
      (result) => failedTableRows(result.stdout).filter((line) => !line.startsWith('✗ WebSocket upgrade')),
    );
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(
      run.stdout,
      /^✗ WebSocket upgrade +401 +101 +wss:\/\/localhost:\d+\/ocpp\/UNKNOWN-CHARGER: 401: the charger was refused/m,
    );
    assert.match(run.stdout, /^– BootNotification +–/m);
    assert.match(run.stdout, /^✓ \/health /m);
    assert.match(run.stdout, /^FAILED: 13 passed, 1 failed, 2 skipped/m);
  });

  test('exits 1 when the certificate is not trusted (no --ca for a private CA), with --json too', async () => {
    const run = await retryWhenOnlySlow(
      () => check([stack.url, '--address', '127.0.0.1', '--http-port', String(stack.httpPort), '--json']),
      (result) =>
        (JSON.parse(result.stdout) as CheckReport).checks
          .filter((entry) => entry.status === 'fail' && entry.name !== 'certificate chain')
          .map((entry) => entry.detail ?? ''),
    );
    assert.equal(run.code, 1);
    const report = JSON.parse(run.stdout) as CheckReport;
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.checks.filter((entry) => entry.status === 'fail').map((entry) => entry.name),
      ['certificate chain'],
    );
  });

  test('tells a client that cannot offer TLS 1.0/1.1 from a server that refuses them: "not tested", exit 0', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-check-openssl-'));
    try {
      const opensslConf = path.join(dir, 'openssl.cnf');
      await writeFile(opensslConf, CLIENT_WITHOUT_OLD_TLS);
      const run = await retryWhenOnlySlow(
        () => check([...flags(stack), '--charger-id', 'CLI-OLD-TLS'], { OPENSSL_CONF: opensslConf }),
        (result) => failedTableRows(result.stdout),
      );
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.match(
        run.stdout,
        /^\? TLS 1\.0 +not tested +refused +this client cannot offer TLS 1\.0 \(ERR_SSL_NO_PROTOCOLS_AVAILABLE/m,
      );
      assert.match(run.stdout, /^\? TLS 1\.1 +not tested /m);
      assert.match(run.stdout, /^✓ TLS 1\.2 +accepted/m);
      assert.match(run.stdout, /^OK: 14 passed, 0 failed, 2 not tested/m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('exits 2 naming the problem for a missing or non-https URL and an unreadable --ca', async () => {
    const missing = await check(['--address', '127.0.0.1']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /invalid configuration: url: name the site to check/);
    const plain = await check(['http://localhost:8000']);
    assert.equal(plain.code, 2);
    assert.match(plain.stderr, /--url: expects an https:\/\/ URL/);
    const noCa = await check([stack.url, '--ca', '/nonexistent/ca.pem']);
    assert.equal(noCa.code, 2);
    assert.match(noCa.stderr, /--ca: cannot read \/nonexistent\/ca\.pem: ENOENT/);
  });
});
