// ecosystem.config.cjs / ecosystem.config.js: PM2's own loader and schema accept them, the two apps run the
// built CLI with config/production.yaml, and every environment ends in a configuration that loads (production on
// 443/80, development on unprivileged ports), with jemalloc preloaded where libjemalloc2 is installed. Starting
// the apps under PM2 (reload with chargers connected) is the job of a test that runs the processes; this one needs
// no daemon.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, test } from 'node:test';
import { EXIT_CONFIG } from '../../common/command.js';
import { loadConfig } from '../../common/config.js';
import { backendOptions } from '../../backend/options.js';
import { proxyOptions } from '../../proxy/options.js';
import { DEPLOYMENT_MALLOC_CONF } from '../../bench/targets.js';
import { inRepo, installedJemalloc, mappedLibraries, requireJemalloc, threadNames } from '../support/ops-tools.js';

interface Pm2App {
  name: string;
  script: string;
  args: string[];
  cwd: string;
  exec_mode: string;
  instances: number;
  kill_timeout: number;
  listen_timeout: number;
  exp_backoff_restart_delay: number;
  stop_exit_codes: number[];
  merge_logs: boolean;
  time: boolean;
  out_file: string;
  error_file: string;
  env: Record<string, string>;
  env_production: Record<string, string>;
  env_development: Record<string, string>;
  [key: string]: unknown;
}

const require = createRequire(import.meta.url);
// PM2's own modules: how `pm2 start` parses a process file and the schema it validates apps against.
const pm2Common = require(inRepo('node_modules/pm2/lib/Common.js')) as {
  parseConfig(data: Buffer, file: string): { apps: Pm2App[] };
};
const pm2Config = require(inRepo('node_modules/pm2/lib/tools/Config.js')) as {
  validateJSON(app: unknown): { errors: string[] };
};
const pm2Schema = require(inRepo('node_modules/pm2/lib/API/schema.json')) as Record<
  string,
  { alias?: string | string[] }
>;

const ecosystem = require(inRepo('ecosystem.config.cjs')) as { apps: Pm2App[] };

function app(name: string): Pm2App {
  const found = ecosystem.apps.find((candidate) => candidate.name === name);
  assert.ok(found, `app ${name} in ecosystem.config.cjs`);
  return found;
}

/** The environment PM2 gives an app started with `--env NAME` (PM2 merges env, then env_NAME over it). */
function environment(target: Pm2App, name?: 'production' | 'development'): NodeJS.ProcessEnv {
  return { ...target.env, ...(name ? (target[`env_${name}`] as Record<string, string>) : {}) };
}

/** The --config file named in an app's arguments. */
function configFileOf(target: Pm2App): string {
  const index = target.args.indexOf('--config');
  assert.ok(index >= 0 && target.args[index + 1], `${target.name} passes --config`);
  return inRepo(target.args[index + 1]);
}

describe('PM2 process files', () => {
  test('PM2 loads ecosystem.config.cjs and ecosystem.config.js to the same two apps', () => {
    for (const file of ['ecosystem.config.cjs', 'ecosystem.config.js']) {
      const parsed = pm2Common.parseConfig(readFileSync(inRepo(file)), inRepo(file));
      assert.deepEqual(
        parsed.apps.map((loaded) => loaded.name),
        ['ocpp-edge-proxy', 'ocpp-edge-backend'],
        file,
      );
      assert.deepEqual(JSON.parse(JSON.stringify(parsed.apps)), JSON.parse(JSON.stringify(ecosystem.apps)), file);
    }
  });

  test("every app passes PM2's schema, with no option PM2 does not know", () => {
    const known = new Set<string>();
    for (const [key, spec] of Object.entries(pm2Schema)) {
      known.add(key);
      for (const alias of [spec.alias ?? []].flat()) known.add(alias);
    }
    for (const target of ecosystem.apps) {
      assert.deepEqual(pm2Config.validateJSON(JSON.parse(JSON.stringify(target))).errors, [], target.name);
      for (const key of Object.keys(target)) {
        assert.ok(known.has(key) || key.startsWith('env_'), `${target.name}: PM2 has no option ${key}`);
      }
    }
  });
});

describe('ocpp-edge-proxy and ocpp-edge-backend', () => {
  test('run the built CLI with their subcommand and config/production.yaml', () => {
    const proxy = app('ocpp-edge-proxy');
    const backend = app('ocpp-edge-backend');
    for (const target of [proxy, backend]) {
      assert.equal(target.script, 'dist/bin/ocpp-edge.js');
      assert.equal(target.cwd, inRepo('.').replace(/\/$/, ''));
      assert.ok(existsSync(inRepo(target.script)), `${target.script} is built`);
    }
    assert.deepEqual(proxy.args, ['proxy', '--config', 'config/production.yaml']);
    assert.deepEqual(backend.args, ['backend', '--config', 'config/production.yaml']);
  });

  test('the proxy runs in cluster mode, so a reload starts the new process before the old one drains', () => {
    const proxy = app('ocpp-edge-proxy');
    assert.equal(proxy.exec_mode, 'cluster');
    assert.equal(proxy.instances, 1);
    assert.equal(proxy.wait_ready, true);
    assert.ok(proxy.listen_timeout >= 3000, 'listen_timeout leaves time to load certificates');
    assert.equal(app('ocpp-edge-backend').exec_mode, 'fork');
  });

  test("kill_timeout is longer than the proxy's drain period in every environment", () => {
    for (const target of ecosystem.apps) {
      for (const name of [undefined, 'production', 'development'] as const) {
        const proxy = loadConfig(proxyOptions, {
          flags: { config: configFileOf(target) },
          section: 'proxy',
          env: environment(target, name),
        });
        assert.ok(
          target.kill_timeout > proxy.drainTimeout * 1000,
          `${target.name} (${name ?? 'env'}): kill_timeout ${target.kill_timeout} ms > drain ${proxy.drainTimeout} s`,
        );
      }
    }
  });

  test('restart with exponential back-off, but not after an invalid configuration', () => {
    for (const target of ecosystem.apps) {
      assert.ok(target.exp_backoff_restart_delay > 0, target.name);
      assert.deepEqual(target.stop_exit_codes, [EXIT_CONFIG], target.name);
      assert.ok(target.autorestart !== false, target.name);
    }
  });

  test('logs go to one file per app and stream, as the JSON lines pino writes', () => {
    const files = ecosystem.apps.flatMap((target) => [target.out_file, target.error_file]);
    assert.equal(new Set(files).size, 4, 'no two streams share a file');
    for (const target of ecosystem.apps) {
      assert.match(target.out_file, new RegExp(`/logs/${target.name}\\.out\\.log$`));
      assert.match(target.error_file, new RegExp(`/logs/${target.name}\\.err\\.log$`));
      assert.equal(target.merge_logs, true);
      assert.equal(target.time, false, 'no PM2 prefix in front of the JSON lines');
    }
  });
});

describe('environments', () => {
  for (const name of [undefined, 'production'] as const) {
    test(`${name ? `env_${name}` : 'env (no --env)'}: the production configuration, 443/80, the backend's socket`, () => {
      const proxyApp = app('ocpp-edge-proxy');
      const backendApp = app('ocpp-edge-backend');
      const proxy = loadConfig(proxyOptions, {
        flags: { config: configFileOf(proxyApp) },
        section: 'proxy',
        env: environment(proxyApp, name),
      });
      const backend = loadConfig(backendOptions, {
        flags: { config: configFileOf(backendApp) },
        section: 'backend',
        env: environment(backendApp, name),
      });
      assert.equal(environment(proxyApp, name).NODE_ENV, 'production');
      assert.equal(proxy.httpsPort, 443);
      assert.equal(proxy.httpPort, 80);
      assert.equal(proxy.tls, 'acme');
      assert.deepEqual(proxy.upstream, ['unix:/var/lib/ocpp-edge/backend.sock']);
      assert.equal(backend.socket, '/var/lib/ocpp-edge/backend.sock');
      assert.equal(backend.host, '127.0.0.1');
      assert.equal(backend.port, 8080);
      assert.equal(
        Object.keys(environment(backendApp, name)).some((key) => /TOKEN|DATABASE|PASSWORD/.test(key)),
        false,
        'no secrets in the file',
      );
    });
  }

  test('env_development: unprivileged ports, self-signed localhost, SQLite and a token for local use', () => {
    const proxyApp = app('ocpp-edge-proxy');
    const backendApp = app('ocpp-edge-backend');
    const proxy = loadConfig(proxyOptions, {
      flags: { config: configFileOf(proxyApp) },
      section: 'proxy',
      env: environment(proxyApp, 'development'),
    });
    const backend = loadConfig(backendOptions, {
      flags: { config: configFileOf(backendApp) },
      section: 'backend',
      env: environment(backendApp, 'development'),
    });
    assert.equal(proxy.httpsPort, 8443);
    assert.equal(proxy.httpPort, 8000);
    assert.ok(proxy.httpsPort >= 1024 && proxy.httpPort >= 1024 && proxy.metricsPort >= 1024, 'no privilege needed');
    assert.equal(proxy.tls, 'self-signed');
    assert.deepEqual(proxy.domain, ['localhost']);
    assert.equal(proxy.dataDir, './data');
    assert.equal(backend.host, '127.0.0.1');
    assert.equal(backend.port, 8080);
    assert.equal(backend.database, 'sqlite:./data/ocpp.db');
    assert.deepEqual(backend.apiToken, ['dev-token']);
    assert.deepEqual(proxy.upstream, ['unix:./data/backend.sock']);
    assert.equal(backend.socket, './data/backend.sock', "the proxy's upstream, both relative to the same cwd");
  });

  test("every environment keeps the shared TLS ticket key file in the proxy's data dir, where it may write", () => {
    const proxyApp = app('ocpp-edge-proxy');
    for (const name of [undefined, 'production', 'development'] as const) {
      const proxy = loadConfig(proxyOptions, {
        flags: { config: configFileOf(proxyApp) },
        section: 'proxy',
        env: environment(proxyApp, name),
      });
      assert.ok(
        proxy.tlsTicketKeys,
        `${name ?? 'env'}: tls-ticket-keys is set, so cluster workers share session tickets`,
      );
      assert.equal(
        path.dirname(path.resolve(proxyApp.cwd, proxy.tlsTicketKeys)),
        path.resolve(proxyApp.cwd, proxy.dataDir),
        name ?? 'env',
      );
    }
  });
});

describe('jemalloc', () => {
  test('both apps preload libjemalloc2 in every environment where it is installed, and nothing where it is not', (t) => {
    // PM2 loads the process file on the machine that runs the apps: what it finds here is what they get.
    const library = installedJemalloc();
    for (const target of ecosystem.apps) {
      for (const name of [undefined, 'production', 'development'] as const) {
        assert.equal(environment(target, name).LD_PRELOAD, library, `${target.name} (${name ?? 'env'})`);
      }
    }
    requireJemalloc(t);
  });

  test("a process started with each app's environment runs on jemalloc (/proc/PID/maps)", async (t) => {
    if (!requireJemalloc(t)) return;
    for (const target of ecosystem.apps) {
      const libraries = await mappedLibraries(environment(target, 'production'));
      assert.ok(
        libraries.some((file) => file.includes('libjemalloc')),
        `${target.name}: jemalloc mapped; mapped: ${libraries.join(', ')}`,
      );
    }
    // node itself is not linked with it: the preload is what brings it in.
    const plain = await mappedLibraries({ NODE_ENV: 'production' });
    assert.ok(!plain.some((file) => file.includes('libjemalloc')), 'no jemalloc without LD_PRELOAD');
  });
});

describe('jemalloc settings', () => {
  test("both apps run jemalloc with the bench's settings, its background thread returning freed pages", async (t) => {
    if (!requireJemalloc(t)) return;
    for (const target of ecosystem.apps) {
      const env = environment(target, 'production');
      assert.equal(env.MALLOC_CONF, DEPLOYMENT_MALLOC_CONF, target.name);
      const threads = await threadNames(env);
      assert.ok(threads.includes('jemalloc_bg_thd'), `${target.name}: threads ${threads.join(', ')}`);
    }
  });
});

describe('per-app environment files: the proxy never holds the database password', () => {
  /**
   * The environment PM2 would give each app: the process file loaded and passed through PM2's own prepareAppConf
   * in a child whose environment is `shell` (the shell that runs `pm2 start`).
   */
  function pm2Environments(shell: Record<string, string>): Record<string, Record<string, string>> {
    const script = `
      const Common = require(${JSON.stringify(inRepo('node_modules/pm2/lib/Common.js'))});
      const { apps } = require(${JSON.stringify(inRepo('ecosystem.config.cjs'))});
      const result = {};
      for (const app of apps) {
        const prepared = Common.prepareAppConf({ cwd: ${JSON.stringify(inRepo('.'))} }, { ...app });
        if (prepared instanceof Error) throw prepared;
        result[app.name] = prepared.env;
      }
      process.stdout.write('\\n@@' + JSON.stringify(result));`;
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...shell };
    // PM2's modules print their own lines on stdout first.
    const output = execFileSync(process.execPath, ['-e', script], {
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return JSON.parse(output.slice(output.lastIndexOf('\n@@') + 3));
  }

  test("each app reads its own file from OCPP_EDGE_ENV_DIR, and filter_env keeps the backend's secrets out of the proxy", (t) => {
    const directory = mkdtempSync(path.join(tmpdir(), 'ocpp-edge-env-'));
    t.after(() => rmSync(directory, { recursive: true, force: true }));
    writeFileSync(
      path.join(directory, 'backend.env'),
      '# secrets\nDATABASE_URL=postgres://ocpp:s3cret@127.0.0.1/ocpp\nOCPP_EDGE_BACKEND_API_TOKENS="t1,t2"\n',
    );
    writeFileSync(path.join(directory, 'proxy.env'), 'OCPP_EDGE_PROXY_ACME_EMAIL=ops@example.com\n');
    // The operator's shell also holds the backend's secrets (the old recipe sourced backend.env into it).
    const environments = pm2Environments({
      OCPP_EDGE_ENV_DIR: directory,
      DATABASE_URL: 'postgres://ocpp:s3cret@127.0.0.1/ocpp',
      OCPP_EDGE_BACKEND_API_TOKENS: 'shell-token',
    });
    const proxy = environments['ocpp-edge-proxy'];
    const backend = environments['ocpp-edge-backend'];
    assert.equal(proxy.OCPP_EDGE_PROXY_ACME_EMAIL, 'ops@example.com');
    assert.equal(backend.OCPP_EDGE_PROXY_ACME_EMAIL, undefined);
    assert.equal(backend.DATABASE_URL, 'postgres://ocpp:s3cret@127.0.0.1/ocpp');
    assert.equal(backend.OCPP_EDGE_BACKEND_API_TOKENS, 't1,t2', 'the file wins over the shell');
    assert.doesNotMatch(JSON.stringify(proxy), /s3cret|t1,t2|shell-token/, 'no backend secret in the proxy');
    // And each configuration loads from what it was given.
    const loadedProxy = loadConfig(proxyOptions, {
      flags: { config: configFileOf(app('ocpp-edge-proxy')) },
      section: 'proxy',
      env: proxy,
    });
    assert.equal(loadedProxy.acmeEmail, 'ops@example.com');
    const loadedBackend = loadConfig(backendOptions, {
      flags: { config: configFileOf(app('ocpp-edge-backend')) },
      section: 'backend',
      env: backend,
    });
    assert.deepEqual(loadedBackend.apiToken, ['t1', 't2']);
  });

  test('a malformed line is an error naming the file and line, not a silently missing secret', (t) => {
    const directory = mkdtempSync(path.join(tmpdir(), 'ocpp-edge-env-'));
    t.after(() => rmSync(directory, { recursive: true, force: true }));
    writeFileSync(path.join(directory, 'backend.env'), 'DATABASE_URL=postgres://x\nnot a variable\n');
    assert.throws(() => pm2Environments({ OCPP_EDGE_ENV_DIR: directory }), /backend\.env:2: expected VAR=value/);
  });
});
