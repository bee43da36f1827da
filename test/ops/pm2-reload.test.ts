// The PM2 ecosystem for real: a private PM2 daemon (its own PM2_HOME) starts ecosystem.config.cjs with
// --env development, moved to free ports, a temporary data dir, SQLite file and backend socket; the backend's
// /health answers through the proxy (over the socket); then `pm2 reload ocpp-edge-proxy` while 50 chargers are connected and HTTP requests keep
// coming: not one request fails and every charger is connected again within seconds. The daemon is killed at the end.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { RPCClient } from 'ocpp-rpc';
import { freePorts } from '../support/ports.js';
import { waitFor } from '../support/waiting.js';
import { inRepo } from '../support/ops-tools.js';

const PM2 = inRepo('node_modules/.bin/pm2');
const CHARGERS = 50;
const RECONNECT_WITHIN_MS = 5000;
const HTTP_LOOPS = 4;

interface Ports {
  https: number;
  http: number;
  metrics: number;
  backend: number;
}

/**
 * A process file that takes the repository's apps as they are (script, args, cluster mode, wait_ready,
 * kill_timeout...) and only moves env_development to free ports and temporary files.
 */
function processFile(dir: string, ports: Ports): string {
  const overrides = {
    'ocpp-edge-proxy': {
      OCPP_EDGE_HTTPS_PORT: String(ports.https),
      OCPP_EDGE_HTTP_PORT: String(ports.http),
      OCPP_EDGE_METRICS_PORT: String(ports.metrics),
      OCPP_EDGE_HOST: '127.0.0.1',
      // As the ecosystem's own environments: the proxy forwards to the backend's Unix socket, here in `dir`.
      OCPP_EDGE_UPSTREAMS: `unix:${path.join(dir, 'backend.sock')}`,
      OCPP_EDGE_DATA_DIR: path.join(dir, 'data'),
      OCPP_EDGE_LOG_LEVEL: 'warn',
    },
    'ocpp-edge-backend': {
      OCPP_EDGE_PORT: String(ports.backend),
      OCPP_EDGE_SOCKET: path.join(dir, 'backend.sock'),
      OCPP_EDGE_DATABASE: `sqlite:${path.join(dir, 'ocpp.db')}`,
      OCPP_EDGE_LOG_LEVEL: 'warn',
    },
  };
  return `'use strict';
const ecosystem = require(${JSON.stringify(inRepo('ecosystem.config.cjs'))});
const overrides = ${JSON.stringify(overrides)};
const logs = ${JSON.stringify(path.join(dir, 'logs'))};
module.exports = {
  apps: ecosystem.apps.map((app) => ({
    ...app,
    out_file: logs + '/' + app.name + '.out.log',
    error_file: logs + '/' + app.name + '.err.log',
    env_development: { ...app.env_development, ...overrides[app.name] },
  })),
};
`;
}

function pm2(home: string, args: string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      PM2,
      args,
      { cwd: inRepo('.'), env: { ...process.env, PM2_HOME: home }, timeout: timeoutMs },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`pm2 ${args.join(' ')}: ${error.message}\n${stdout}${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

function getHealth(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    // A new connection per request, as a client that opens one per call: no keep-alive socket left over from the
    // old process to race its close.
    const request = https.get(
      {
        host: '127.0.0.1',
        port,
        path: '/health',
        servername: 'localhost',
        rejectUnauthorized: false,
        agent: false,
        timeout: 5000,
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error('no answer within 5 s')));
    request.on('error', reject);
  });
}

interface TrackedCharger {
  client: RPCClient;
  connected: boolean;
  disconnectedAt?: number;
  reconnectMs?: number;
}

describe('PM2: ecosystem.config.cjs under a real daemon', { timeout: 60_000 }, () => {
  let dir: string;
  let home: string;
  let ports: Ports;
  const chargers: TrackedCharger[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-pm2-'));
    home = path.join(dir, 'pm2-home');
    const [httpsPort, httpPort, metrics, backend] = await freePorts(4);
    ports = { https: httpsPort!, http: httpPort!, metrics: metrics!, backend: backend! };
    const file = path.join(dir, 'ocpp-edge-test.config.cjs');
    await writeFile(file, processFile(dir, ports));
    await pm2(home, ['start', file, '--env', 'development']);
  });

  after(async () => {
    await Promise.all(chargers.map((charger) => charger.client.close({ force: true }).catch(() => {})));
    await pm2(home, ['kill']).catch((error: Error) => console.error(error.message));
    if (!process.env.KEEP_PM2_DIR) await rm(dir, { recursive: true, force: true });
    else console.log('kept', dir);
  });

  test("the backend's /health answers through the proxy", async () => {
    await waitFor('/health through the proxy', async () => (await getHealth(ports.https)) === 200, {
      timeoutMs: 20_000,
      intervalMs: 50,
      retryErrors: true,
    });
    const list = JSON.parse(await pm2(home, ['jlist'])) as Array<{
      name: string;
      pm2_env: { status: string; exec_mode: string };
    }>;
    assert.deepEqual(list.map((app) => [app.name, app.pm2_env.status, app.pm2_env.exec_mode]).sort(), [
      ['ocpp-edge-backend', 'online', 'fork_mode'],
      ['ocpp-edge-proxy', 'online', 'cluster_mode'],
    ]);
  });

  test('pm2 reload ocpp-edge-proxy with 50 chargers connected: no HTTP request fails, every charger is back within seconds', async () => {
    for (let index = 0; index < CHARGERS; index++) {
      const client = new RPCClient({
        endpoint: `wss://localhost:${ports.https}/ocpp`,
        identity: `PM2-${String(index).padStart(3, '0')}`,
        protocols: ['ocpp1.6'],
        strictMode: true,
        reconnect: true,
        backoff: { initialDelay: 200, maxDelay: 2000, factor: 2, randomisationFactor: 0.5 },
        callTimeoutMs: 5000,
        wsOpts: { host: '127.0.0.1', rejectUnauthorized: false, servername: 'localhost' },
      } as unknown as ConstructorParameters<typeof RPCClient>[0]);
      const tracked: TrackedCharger = { client, connected: false };
      client.on('open', () => {
        tracked.connected = true;
        if (tracked.disconnectedAt !== undefined) tracked.reconnectMs = performance.now() - tracked.disconnectedAt;
      });
      client.on('disconnect', () => {
        tracked.connected = false;
        tracked.disconnectedAt = performance.now();
      });
      client.on('error', () => {});
      chargers.push(tracked);
    }
    await Promise.all(chargers.map((charger) => charger.client.connect()));
    await Promise.all(
      chargers.map((charger) =>
        charger.client.call('BootNotification', { chargePointVendor: 'ocpp-edge', chargePointModel: 'pm2-test' }),
      ),
    );
    const pidBefore = (await pm2(home, ['pid', 'ocpp-edge-proxy'])).trim();

    // Requests one after another on HTTP_LOOPS connections at a time, before, during and after the reload.
    let running = true;
    const outcomes = { ok: 0, failed: [] as string[] };
    const loops = Array.from({ length: HTTP_LOOPS }, async () => {
      while (running) {
        try {
          const status = await getHealth(ports.https);
          if (status === 200) outcomes.ok++;
          else outcomes.failed.push(`status ${status}`);
        } catch (error) {
          outcomes.failed.push((error as Error).message);
        }
      }
    });

    const reloadStarted = performance.now();
    let reloadMs: number;
    let backAfterMs: number;
    try {
      await pm2(home, ['reload', 'ocpp-edge-proxy']);
      reloadMs = performance.now() - reloadStarted;
      const pidAfter = (await pm2(home, ['pid', 'ocpp-edge-proxy'])).trim();
      assert.notEqual(pidAfter, pidBefore, 'a new proxy process serves');

      await waitFor(
        'every charger connected again',
        () => chargers.every((charger) => charger.connected && charger.reconnectMs !== undefined),
        { timeoutMs: RECONNECT_WITHIN_MS + 10_000, intervalMs: 50, retryErrors: true },
      );
      backAfterMs = performance.now() - reloadStarted;
      // A last stretch of requests served by the new process alone.
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      running = false;
      await Promise.all(loops);
    }

    const reconnects = chargers.map((charger) => charger.reconnectMs!).sort((a, b) => a - b);
    console.log(
      `pm2 reload: ${reloadMs.toFixed(0)} ms; HTTP requests ${outcomes.ok} ok, ${outcomes.failed.length} failed; ` +
        `${CHARGERS} chargers back ${backAfterMs.toFixed(0)} ms after the reload began, reconnect p50 ${reconnects[CHARGERS >> 1]!.toFixed(0)} ms, max ${reconnects.at(-1)!.toFixed(0)} ms`,
    );
    assert.deepEqual(outcomes.failed, [], 'no HTTP request failed');
    assert.ok(outcomes.ok > 20, `requests kept coming (${outcomes.ok})`);
    assert.ok(
      reconnects.at(-1)! < RECONNECT_WITHIN_MS,
      `every charger reconnected within ${RECONNECT_WITHIN_MS} ms (slowest ${reconnects.at(-1)!.toFixed(0)} ms)`,
    );
    // Connected again means accepted by the central system: a call goes through for every charger.
    await Promise.all(chargers.map((charger) => charger.client.call('Heartbeat', {})));
  });
});
