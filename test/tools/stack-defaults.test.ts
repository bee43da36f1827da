// `check` and `simulate` against a stack described by --config (what `npm start` runs): the URL, the redirect's
// port and the self-signed certificate's CA come from the file's proxy: section, so no --ca, --http-port or URL
// is needed; and a local check that fails without them says to pass --config.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../common/config.js';
import { createLogger } from '../../common/logger.js';
import { proxyOptions } from '../../proxy/options.js';
import { startProxy, type ProxyHandle } from '../../proxy/server.js';
import { startTestBackend, type TestBackend } from '../support/backend-instance.js';
import { cleanEnvironment, runCli } from '../support/cli.js';
import { freePorts } from '../support/ports.js';

describe('check and simulate read the stack from --config', { timeout: 120_000 }, () => {
  let dir: string;
  let configFile: string;
  let backend: TestBackend;
  let proxy: ProxyHandle;
  let httpsPort: number;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-stack-defaults-'));
    backend = await startTestBackend({ database: `sqlite:${path.join(dir, 'ocpp.db')}` });
    const [https, http, metrics] = await freePorts(3);
    httpsPort = https!;
    configFile = path.join(dir, 'development.yaml');
    await writeFile(
      configFile,
      [
        'proxy:',
        `  https-port: ${https}`,
        `  http-port: ${http}`,
        `  metrics-port: ${metrics}`,
        '  host: 127.0.0.1',
        `  upstream: [${backend.httpUrl}]`,
        '  domain: [localhost]',
        '  tls: self-signed',
        `  data-dir: ${path.join(dir, 'data')}`,
        '  log-level: silent',
        'check:',
        '  address: 127.0.0.1',
        '',
      ].join('\n'),
    );
    const config = loadConfig(proxyOptions, { flags: { config: configFile }, env: {}, section: 'proxy' });
    proxy = await startProxy(config, createLogger({ level: 'silent', name: 'proxy', pretty: false }));
  });
  after(async () => {
    await proxy?.stop();
    await backend?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('check --config: URL, --http-port and --ca from the proxy: section', async () => {
    const result = await runCli(['check', '--config', configFile, '--json'], { env: cleanEnvironment() });
    const report = JSON.parse(result.stdout) as {
      url: string;
      checks: Array<{ group: string; name: string; status: string; detail?: string }>;
    };
    assert.equal(report.url, `https://localhost:${httpsPort}`, 'the URL from the proxy: section');
    const group = (name: string) => report.checks.filter((check) => check.group === name);
    assert.ok(group('certificate').length > 0 && group('redirect').length > 0);
    for (const check of [...group('certificate'), ...group('redirect')])
      assert.equal(check.status, 'pass', `${check.name}: CA and http-port read from the file (${check.detail})`);
  });

  test('simulate --config: wss URL and CA from the proxy: section', async () => {
    const result = await runCli(
      ['simulate', '--config', configFile, '--chargers', '2', '--duration', '1', '--id-prefix', 'CFG-', '--json'],
      { env: cleanEnvironment(), timeoutMs: 30_000 },
    );
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      settings: { url: string };
      chargers: { booted: number };
    };
    assert.equal(report.settings.url, `wss://localhost:${httpsPort}/ocpp`);
    assert.equal(report.chargers.booted, 2);
  });

  test('a failing local check without --ca suggests --config', async () => {
    const result = await runCli(
      ['check', `https://localhost:${httpsPort}`, '--address', '127.0.0.1', '--timeout', '3'],
      {
        env: cleanEnvironment(),
      },
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /Pass its configuration, --config config\/development\.yaml/);
  });
});
