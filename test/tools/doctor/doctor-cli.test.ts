// `ocpp-edge doctor` on this very host: every check seen passing and seen failing for a real reason — a port held
// by another process, a domain a DNS server points elsewhere, an open-file limit lowered for the child, an
// unprivileged user facing port 80, a clock an NTP server says is off.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../../support/cli.js';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { startNtpServer, type TestNtpServer } from '../../support/ntp-server.js';
import { freePorts } from '../../support/ports.js';
import { readFileLimit } from '../../../proxy/limits/fd-limit.js';
import { startProxyProcess } from '../../support/proxy-process.js';

const HERE = '203.0.113.7';
/** As many open files as this machine lets a child have (its hard limit), and no more than a real site sets. */
const ENOUGH_FILES = Math.min(65536, readFileLimit()?.hard ?? 65536);

interface Finding {
  check: string;
  verdict: 'ok' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

describe('ocpp-edge doctor', () => {
  let dir: string;
  let dns: TestDnsServer;
  let goodClock: TestNtpServer;
  let badClock: TestNtpServer;
  let unitDir: string;
  const config = async (name: string, proxy: Record<string, unknown>) => {
    const file = path.join(dir, name);
    const lines = Object.entries(proxy).map(([key, value]) => `  ${key}: ${JSON.stringify(value)}`);
    await writeFile(file, `proxy:\n${lines.join('\n')}\n`);
    return file;
  };
  const doctor = async (args: string[], options: Parameters<typeof runCli>[1] = {}) => {
    const result = await runCli(
      ['doctor', '--json', '--address', HERE, '--resolver', dns.address, '--unit-dir', unitDir, ...args],
      options,
    );
    const report = JSON.parse(result.stdout) as { ok: boolean; findings: Finding[] };
    const find = (check: string) => {
      const finding = report.findings.find((candidate) => candidate.check === check);
      assert.ok(finding, `no ${check} in ${result.stdout}`);
      return finding;
    };
    return { ...result, report, find };
  };

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-doctor-'));
    // Readable by the unprivileged user some tests run it as.
    await chmod(dir, 0o755);
    unitDir = path.join(dir, 'units');
    await mkdir(unitDir);
    dns = await startDnsServer({
      'charger.example': [HERE],
      'elsewhere.example': ['198.51.100.9', HERE],
    });
    goodClock = await startNtpServer(0);
    badClock = await startNtpServer(-30_000);
  });
  after(async () => {
    await dns?.close();
    await goodClock?.close();
    await badClock?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a host ready for the fleet: no ✗ and exit 0', async () => {
    const [https, http] = await freePorts(2);
    const file = await config('ready.yaml', { 'https-port': https, 'http-port': http, domain: ['charger.example'] });
    const result = await doctor(['--config', file, '--fleet', '1000', '--ntp-server', goodClock.address], {
      nofile: ENOUGH_FILES,
    });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(result.report.ok, true);
    assert.equal(result.find(`port ${https} (HTTPS)`).detail, 'free');
    assert.equal(result.find('DNS charger.example').verdict, 'ok');
    assert.equal(result.find('DNS charger.example').detail, `resolves to ${HERE}: this host`);
    assert.match(result.find('Node.js').detail, new RegExp(`^${process.version.replace(/\./g, '\\.')} \\(supported`));
    const proxyFiles = result.find('open files (proxy)');
    assert.equal(proxyFiles.verdict, 'ok');
    assert.match(
      proxyFiles.detail,
      new RegExp(`^${ENOUGH_FILES} from this shell's ulimit -n, which PM2 inherits; 1000 chargers need 2286`),
    );
    assert.match(result.find('open files (backend)').detail, /1000 chargers need 1143 \(1 per charger/);
    assert.equal(result.find('low ports').verdict, 'ok');
    assert.match(result.find('clock').detail, /^[+-]\d+ ms against 127\.0\.0\.1:\d+$/);
  });

  test('each problem is ✗ with its fix, and the exit code is 1', async () => {
    const [https, http] = await freePorts(2);
    // Another program on the HTTPS port, as nginx would be.
    const squatter = spawn(
      process.execPath,
      ['-e', `require('net').createServer().listen(${https}, '127.0.0.1', () => console.log('up'))`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise((resolve) => squatter.stdout!.once('data', resolve));
      const file = await config('broken.yaml', {
        'https-port': https,
        'http-port': http,
        domain: ['charger.example', 'elsewhere.example', 'missing.example'],
      });
      const result = await doctor(['--config', file, '--fleet', '1000', '--ntp-server', badClock.address], {
        nofile: 1024,
      });
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.report.ok, false);
      const port = result.find(`port ${https} (HTTPS)`);
      assert.equal(port.verdict, 'fail');
      assert.equal(port.detail, `held by ${process.execPath} -e ${squatter.spawnargs[2]} (pid ${squatter.pid})`);
      assert.match(port.fix!, new RegExp(`kill ${squatter.pid}`));
      assert.equal(result.find(`port ${http} (HTTP)`).verdict, 'ok');
      const elsewhere = result.find('DNS elsewhere.example');
      assert.equal(elsewhere.verdict, 'fail');
      assert.match(elsewhere.detail, /198\.51\.100\.9 is not this host/);
      assert.match(elsewhere.fix!, /point the A record of elsewhere\.example at this host/);
      assert.equal(result.find('DNS missing.example').detail, 'no A or AAAA record');
      const files = result.find('open files (proxy)');
      assert.equal(files.verdict, 'fail');
      assert.match(files.detail, /^1024 from this shell's ulimit -n/);
      assert.match(files.fix!, /LimitNOFILE=2286 in ocpp-edge-proxy\.service, or `ulimit -n 2286`/);
      assert.equal(result.find('open files (backend)').verdict, 'fail');
      const clock = result.find('clock');
      assert.equal(clock.verdict, 'fail');
      assert.match(clock.detail, /^-(29|30)\d{3} ms against .*: off by more than 1 s$/);
    } finally {
      squatter.kill();
    }
  });

  test("the human lines: ✓ and ✗ with the fix under each, the systemd unit's LimitNOFILE and capability", async () => {
    const [https] = await freePorts(1);
    await writeFile(
      path.join(unitDir, 'ocpp-edge-proxy.service'),
      '[Service]\nLimitNOFILE=4096\nAmbientCapabilities=CAP_NET_BIND_SERVICE\n',
    );
    const file = await config('units.yaml', { 'https-port': https, 'http-port': 80, domain: ['charger.example'] });
    const result = await runCli(
      [
        'doctor',
        '--config',
        file,
        '--address',
        HERE,
        '--resolver',
        dns.address,
        '--unit-dir',
        unitDir,
        '--fleet',
        '5000',
      ],
      { uid: 65534, gid: 65534 },
    );
    await rm(path.join(unitDir, 'ocpp-edge-proxy.service'));
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /^✓ DNS charger\.example +resolves to 203\.0\.113\.7: this host$/m);
    assert.match(
      result.stdout,
      new RegExp(
        `^✗ open files \\(proxy\\) +4096 from LimitNOFILE in ${unitDir}/ocpp-edge-proxy\\.service; 5000 chargers need 11024`,
        'm',
      ),
    );
    assert.match(
      result.stdout,
      /^ +fix: set LimitNOFILE=11024 in ocpp-edge-proxy\.service, then sudo systemctl daemon-reload$/m,
    );
    assert.match(result.stdout, /^✓ low ports +80: AmbientCapabilities=CAP_NET_BIND_SERVICE in /m);
    assert.match(result.stdout, /^\d+ problems?, \d+ warnings?$/m);
  });

  test('a DNS server that does not answer is a warning, not a missing record', async () => {
    const [closed] = await freePorts(1);
    const file = await config('silent.yaml', { 'https-port': 8443, 'http-port': 8000, domain: ['charger.example'] });
    const result = await runCli(['doctor', '--json', '--config', file, '--resolver', `127.0.0.1:${closed}`]);
    const report = JSON.parse(result.stdout) as { findings: Finding[] };
    const dnsFinding = report.findings.find((finding) => finding.check === 'DNS charger.example')!;
    assert.equal(dnsFinding.verdict, 'warn', JSON.stringify(dnsFinding));
    assert.match(dnsFinding.detail, /^the DNS server did not answer \(E[A-Z]+\)$/);
  });

  test('an unprivileged user with port 80 and no capability: ✗ low ports naming setcap', async () => {
    const file = await config('low.yaml', { 'https-port': 443, 'http-port': 80, domain: ['localhost'] });
    const result = await doctor(['--config', file], { uid: 65534, gid: 65534 });
    const low = result.find('low ports');
    assert.equal(low.verdict, 'fail');
    assert.match(low.detail, /^443, 80 need CAP_NET_BIND_SERVICE, which this user \(uid 65534\)/);
    assert.match(low.fix!, /^sudo setcap cap_net_bind_service=\+ep /);
  });

  test("a port held by ocpp-edge's own proxy is ours: ✓", async () => {
    const proxy = await startProxyProcess([
      '--tls',
      'self-signed',
      '--domain',
      'localhost',
      '--upstream',
      'http://127.0.0.1:9',
      '--data-dir',
      path.join(dir, 'proxy-data'),
    ]);
    try {
      const file = await config('ours.yaml', {
        'https-port': proxy.httpsPort,
        'http-port': proxy.httpPort,
        domain: ['localhost'],
      });
      const result = await doctor(['--config', file]);
      const held = result.find(`port ${proxy.httpsPort} (HTTPS)`);
      assert.equal(held.verdict, 'ok', JSON.stringify(held));
      assert.equal(held.detail, `held by ocpp-edge (pid ${proxy.child.pid}): ours`);
    } finally {
      await proxy.stop();
    }
  });
});
