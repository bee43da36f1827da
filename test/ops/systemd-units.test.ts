// config/systemd/*.service: the hardening each unit promises, the plan's ordering and restart policy, a stop
// timeout longer than the proxy's drain, jemalloc preloaded (checked in a real process, which CI requires), and
// `systemd-analyze verify` where systemd is installed (skipped with a message otherwise: this is the alternative
// to PM2, not something CI depends on).

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../../common/config.js';
import { EXIT_CONFIG } from '../../common/command.js';
import { proxyOptions } from '../../proxy/options.js';
import { DEPLOYMENT_MALLOC_CONF } from '../../bench/targets.js';
import {
  findExecutable,
  inRepo,
  mappedLibraries,
  requireJemalloc,
  runTool,
  threadNames,
} from '../support/ops-tools.js';

const UNITS = ['config/systemd/ocpp-edge-proxy.service', 'config/systemd/ocpp-edge-backend.service'] as const;

/** A unit file as directive → values (a directive may repeat), ignoring sections and comments. */
function readUnit(file: string): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const raw of readFileSync(inRepo(file), 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';') || line.startsWith('[')) continue;
    const equals = line.indexOf('=');
    const key = line.slice(0, equals).trim();
    directives.set(key, [...(directives.get(key) ?? []), line.slice(equals + 1).trim()]);
  }
  return directives;
}

function one(unit: Map<string, string[]>, key: string): string | undefined {
  const values = unit.get(key);
  return values?.[values.length - 1];
}

/** systemd time span in seconds ("30", "30s", "1min 30s"). */
function seconds(span: string): number {
  let total = 0;
  for (const [, amount, unit] of span.matchAll(/(\d+)\s*(min|s|ms)?/g)) {
    total += Number(amount) * (unit === 'min' ? 60 : unit === 'ms' ? 0.001 : 1);
  }
  return total;
}

const productionProxy = loadConfig(proxyOptions, {
  flags: { config: inRepo('config/production.yaml') },
  section: 'proxy',
  env: {},
});

describe('systemd units', () => {
  for (const file of UNITS) {
    const unit = readUnit(file);

    test(`${file}: hardened — no new privileges, read-only system, no home, private /tmp`, () => {
      assert.equal(one(unit, 'NoNewPrivileges'), 'yes');
      assert.equal(one(unit, 'ProtectSystem'), 'strict');
      assert.equal(one(unit, 'ProtectHome'), 'yes');
      assert.equal(one(unit, 'PrivateTmp'), 'yes');
      assert.equal(one(unit, 'PrivateDevices'), 'yes');
      assert.ok(one(unit, 'User') && one(unit, 'User') !== 'root', 'runs as its own user');
      assert.notEqual(one(unit, 'MemoryDenyWriteExecute'), 'yes', 'V8 needs writable executable memory');
    });

    test(`${file}: only the data dir is writable, and it is the production data dir`, () => {
      assert.deepEqual(unit.get('ReadWritePaths'), [productionProxy.dataDir]);
      assert.deepEqual(unit.get('StateDirectory'), ['ocpp-edge']);
      // The proxy creates its TLS ticket key file there at first start.
      assert.equal(path.dirname(productionProxy.tlsTicketKeys ?? ''), productionProxy.dataDir);
    });

    test(`${file}: preloads jemalloc, and a process started with that environment runs on it`, async (t) => {
      const environment = Object.fromEntries(
        (unit.get('Environment') ?? []).map((assignment) => assignment.split(/=(.*)/s).slice(0, 2)),
      );
      // A bare name, found through ld.so's cache on x86_64 and arm64 alike.
      assert.equal(environment.LD_PRELOAD, 'libjemalloc.so.2');
      if (!requireJemalloc(t)) return;
      const libraries = await mappedLibraries(environment);
      assert.ok(
        libraries.some((library) => library.includes('libjemalloc')),
        `jemalloc mapped; mapped: ${libraries.join(', ')}`,
      );
    });

    test(`${file}: runs jemalloc with the bench's settings, its background thread returning freed pages`, async (t) => {
      const environment = Object.fromEntries(
        (unit.get('Environment') ?? []).map((assignment) => assignment.split(/=(.*)/s).slice(0, 2)),
      );
      assert.equal(environment.MALLOC_CONF, DEPLOYMENT_MALLOC_CONF);
      if (!requireJemalloc(t)) return;
      const threads = await threadNames({ LD_PRELOAD: environment.LD_PRELOAD, MALLOC_CONF: environment.MALLOC_CONF });
      assert.ok(threads.includes('jemalloc_bg_thd'), `threads: ${threads.join(', ')}`);
    });

    test(`${file}: restarts always, but not after an invalid configuration`, () => {
      assert.equal(one(unit, 'Restart'), 'always');
      assert.ok(seconds(one(unit, 'RestartSec') ?? '0') > 0);
      assert.equal(one(unit, 'RestartPreventExitStatus'), String(EXIT_CONFIG));
    });

    test(`${file}: stop waits longer than the proxy's drain; reload is SIGHUP`, () => {
      assert.ok(
        seconds(one(unit, 'TimeoutStopSec') ?? '0') > productionProxy.drainTimeout,
        `TimeoutStopSec ${one(unit, 'TimeoutStopSec')} > --drain-timeout ${productionProxy.drainTimeout}`,
      );
      assert.equal(one(unit, 'ExecReload'), '/bin/kill -HUP $MAINPID');
    });

    test(`${file}: secrets from an environment file, the current release's CLI with /etc/ocpp-edge/config.yaml`, () => {
      assert.ok(unit.get('EnvironmentFile')?.some((path) => /^-?\/etc\/ocpp-edge\/[a-z]+\.env$/.test(path)));
      assert.match(
        one(unit, 'ExecStart') ?? '',
        /^\/usr\/bin\/node \/opt\/ocpp-edge\/current\/dist\/bin\/ocpp-edge\.js (proxy|backend) --config \/etc\/ocpp-edge\/config\.yaml$/,
      );
      // Outside the release: `ocpp-edge upgrade` moves the current link, never the configuration.
      assert.equal(one(unit, 'WorkingDirectory'), '/opt/ocpp-edge/current');
    });
  }

  test('the proxy may bind 443/80 and gets that capability and no other', () => {
    const proxy = readUnit(UNITS[0]);
    assert.deepEqual(proxy.get('AmbientCapabilities'), ['CAP_NET_BIND_SERVICE']);
    assert.deepEqual(proxy.get('CapabilityBoundingSet'), ['CAP_NET_BIND_SERVICE']);
    assert.match(one(proxy, 'ExecStart') ?? '', / proxy /);
  });

  test('the backend gets no capability at all', () => {
    const backend = readUnit(UNITS[1]);
    assert.deepEqual(backend.get('CapabilityBoundingSet'), ['']);
    assert.deepEqual(backend.get('AmbientCapabilities') ?? [''], ['']);
    assert.match(one(backend, 'ExecStart') ?? '', / backend /);
  });

  test("the backend starts after the network and the databases, as the plan's unit", () => {
    const after = (one(readUnit(UNITS[1]), 'After') ?? '').split(/\s+/);
    for (const dependency of ['network.target', 'postgresql.service', 'redis.service'])
      assert.ok(after.includes(dependency), dependency);
    // Its secrets file is required: without API tokens and DATABASE_URL it would start half configured.
    assert.deepEqual(readUnit(UNITS[1]).get('EnvironmentFile'), ['/etc/ocpp-edge/backend.env']);
  });

  test('systemd-analyze verify accepts both units', async (t) => {
    const analyze = findExecutable('systemd-analyze');
    if (!analyze) {
      t.diagnostic('systemd-analyze not found: unit files not verified');
      t.skip('systemd-analyze not found');
      return;
    }
    if (!existsSync('/usr/bin/node')) {
      // verify checks that ExecStart's program exists on this machine.
      t.skip('/usr/bin/node does not exist here: ExecStart cannot be verified');
      return;
    }
    const result = await runTool(analyze, ['verify', ...UNITS]);
    assert.equal(result.code, 0, result.output);
    assert.equal(result.output.trim(), '', `systemd-analyze verify printed warnings:\n${result.output}`);
  });
});
