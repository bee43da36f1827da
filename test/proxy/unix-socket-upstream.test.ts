// Issue 22, §2: proxy and backend on one host talk over a Unix domain socket (`--upstream unix:PATH` in the
// proxy, `--socket PATH` in the backend), no loopback TCP in the hot path. Everything goes through real sockets:
// a TLS client → the proxy → the socket file → the real central system.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { lstatSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { backendOptions } from '../../backend/options.js';
import { TrustedProxies } from '../../backend/security/trusted-proxies.js';
import { ConfigError, loadConfig } from '../../common/config.js';
import { MAX_SOCKET_PATH_BYTES } from '../../common/unix-socket.js';
import { proxyOptions } from '../../proxy/options.js';
import { API_TOKEN, startTestBackend, type TestBackend } from '../support/backend-instance.js';
import { metricValue, scrapeMetrics, startProxyUnderTest, type ProxyUnderTest } from '../support/proxy-under-test.js';
import { closed, httpsRequest, nextMessage, openWebSocket } from '../support/tls-clients.js';
import { waitFor } from '../support/waiting.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ocpp-edge-unix-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('proxy → backend over a Unix domain socket', () => {
  const socketPath = path.join(dir, 'backend.sock');
  const missingSocket = path.join(dir, 'no-backend-here.sock');
  let backend: TestBackend;
  let edge: ProxyUnderTest;

  before(async () => {
    backend = await startTestBackend({ database: `sqlite:${path.join(dir, 'ocpp.db')}`, socket: socketPath });
    edge = await startProxyUnderTest({
      tls: 'self-signed',
      domain: ['localhost'],
      upstream: [`unix:${socketPath}`],
      'log-level': 'warn',
    });
  });
  after(async () => {
    await edge?.close();
    await backend?.stop();
  });

  test('the backend listens on the socket file, which only its user and group may use (0660)', () => {
    assert.equal(backend.handle.socketPath, socketPath);
    const stat = lstatSync(socketPath);
    assert.ok(stat.isSocket());
    assert.equal(stat.mode & 0o777, 0o660);
  });

  test("the socket's peers count as a trusted proxy (the file's mode admits only the service's user and group)", () => {
    const trusted = new TrustedProxies(['127.0.0.1']);
    assert.equal(trusted.trusts(`unix:${socketPath}`), true);
    assert.equal(trusted.trusts('192.0.2.7'), false);
  });

  test('HTTP: /health and the REST API answer through the socket, with the security headers', async () => {
    const health = await httpsRequest(edge.proxy.httpsPort, '/health');
    assert.equal(health.status, 200);
    assert.equal(JSON.parse(health.body).status, 'ok');
    assert.ok(health.headers['strict-transport-security']);
    const list = await httpsRequest(edge.proxy.httpsPort, '/api/charge-points', {
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    assert.equal(list.status, 200, list.body);
    const refused = await httpsRequest(edge.proxy.httpsPort, '/api/charge-points');
    assert.equal(refused.status, 401);
  });

  test('WebSocket: a charger boots through the proxy and the socket; the API sees it connected', async () => {
    const charger = await openWebSocket(edge.proxy.httpsPort, '/ocpp/CP-UNIX-1', 'ocpp1.6');
    assert.equal(charger.protocol, 'ocpp1.6');
    charger.send(JSON.stringify([2, 'boot-1', 'BootNotification', { chargePointVendor: 'V', chargePointModel: 'M' }]));
    const [type, id, payload] = JSON.parse(await nextMessage(charger));
    assert.deepEqual([type, id, payload.status], [3, 'boot-1', 'Accepted']);
    const view = await backend.api('GET', '/api/charge-points/CP-UNIX-1');
    assert.equal(view.status, 200);
    assert.equal(view.body.connected, true);
    assert.equal(view.body.vendor, 'V');
    // A command from the API, through the proxy, reaches the charger over the socket and its answer comes back.
    const answered = httpsRequest(edge.proxy.httpsPort, '/api/charge-points/CP-UNIX-1/reset', {
      method: 'POST',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'Soft' }),
    });
    const [callType, callId, action] = JSON.parse(await nextMessage(charger));
    assert.deepEqual([callType, action], [2, 'Reset']);
    charger.send(JSON.stringify([3, callId, { status: 'Accepted' }]));
    const reset = await answered;
    assert.equal(reset.status, 200, reset.body);
    assert.equal(JSON.parse(reset.body).status, 'Accepted');
    charger.close(1000);
    await closed(charger);
    await waitFor('the backend to see the charger go', async () => {
      const after = await backend.api('GET', '/api/charge-points/CP-UNIX-1');
      return after.body.connected === false;
    });
  });

  test('active health checks over the socket: a live socket is healthy, a missing one is down and unused', async () => {
    const pool = await startProxyUnderTest({
      tls: 'self-signed',
      domain: ['localhost'],
      upstream: [`unix:${socketPath}`, `unix:${missingSocket}`],
      'health-interval': 0.2,
      'log-level': 'warn',
    });
    try {
      const health = async (socket: string) =>
        metricValue(await scrapeMetrics(pool.proxy), 'ocpp_edge_upstream_healthy', { upstream: `unix:${socket}` });
      await waitFor('the missing socket to be marked down', async () => (await health(missingSocket)) === 0);
      assert.equal(await health(socketPath), 1);
      for (let i = 0; i < 6; i++) {
        const answer = await httpsRequest(pool.proxy.httpsPort, '/health');
        assert.equal(answer.status, 200);
      }
    } finally {
      await pool.close();
    }
  });

  test('a unix: upstream with no backend behind it answers 502 at once, and the proxy keeps serving', async () => {
    const lonely = await startProxyUnderTest({
      tls: 'self-signed',
      domain: ['localhost'],
      upstream: [`unix:${missingSocket}`],
      'log-level': 'silent',
    });
    try {
      const answer = await httpsRequest(lonely.proxy.httpsPort, '/api/charge-points');
      assert.equal(answer.status, 502);
      assert.match(answer.body, /upstream is unavailable/);
      const metrics = await scrapeMetrics(lonely.proxy);
      assert.equal(metricValue(metrics, 'ocpp_edge_upstream_errors_total', { kind: 'refused' }), 1);
      assert.equal((await httpsRequest(lonely.proxy.httpsPort, '/health')).status, 502);
    } finally {
      await lonely.close();
    }
  });
});

describe("the backend's socket file", () => {
  test('a stale file (its process died) is replaced; a live socket and a file that is not a socket are not', async () => {
    const stale = path.join(dir, 'stale.sock');
    // A socket file with nobody accepting on it: the process that listened was killed and could not remove it.
    const crashed = spawn(
      process.execPath,
      ['-e', `require('node:net').createServer().listen(${JSON.stringify(stale)}, () => console.log('listening'))`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await once(crashed.stdout, 'data');
    crashed.kill('SIGKILL');
    await once(crashed, 'exit');
    assert.ok(lstatSync(stale).isSocket());
    const first = await startTestBackend({ database: `sqlite:${path.join(dir, 'stale.db')}`, socket: stale });
    try {
      // Another backend on the same live socket fails instead of stealing it.
      await assert.rejects(
        startTestBackend({ database: `sqlite:${path.join(dir, 'stale-2.db')}`, socket: stale }),
        /in use/,
      );
      assert.ok(lstatSync(stale).isSocket(), 'the live socket is still there');
    } finally {
      await first.stop();
    }
    assert.throws(() => statSync(stale), /ENOENT/, 'stopping removes the socket file');

    const regular = path.join(dir, 'not-a-socket');
    writeFileSync(regular, 'data');
    await assert.rejects(
      startTestBackend({ database: `sqlite:${path.join(dir, 'regular.db')}`, socket: regular }),
      /not a socket/,
    );
  });

  test('a missing directory for the socket is created', async () => {
    const nested = path.join(dir, 'run', 'ocpp-edge', 'backend.sock');
    const backend = await startTestBackend({ database: `sqlite:${path.join(dir, 'nested.db')}`, socket: nested });
    try {
      assert.ok(lstatSync(nested).isSocket());
    } finally {
      await backend.stop();
    }
  });
});

describe('socket addresses in the configuration', () => {
  const proxyUpstream = (value: string) =>
    loadConfig(proxyOptions, { flags: { upstream: [value] }, section: 'proxy', env: {} });
  const configError = (run: () => unknown): ConfigError => {
    try {
      run();
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      return error;
    }
    assert.fail('expected a ConfigError');
  };

  test('unix:PATH is accepted as an upstream beside http:// and https://', () => {
    assert.deepEqual(proxyUpstream('unix:/run/ocpp-edge/backend.sock').upstream, ['unix:/run/ocpp-edge/backend.sock']);
    assert.deepEqual(proxyUpstream('http://127.0.0.1:8080').upstream, ['http://127.0.0.1:8080']);
  });

  test('an empty or too long socket path and other schemes name the key', () => {
    assert.match(configError(() => proxyUpstream('unix:')).message, /upstream.*empty/);
    const long = `/${'x'.repeat(MAX_SOCKET_PATH_BYTES)}.sock`;
    assert.match(configError(() => proxyUpstream(`unix:${long}`)).message, /upstream.*at most 107/);
    assert.match(configError(() => proxyUpstream('ftp://127.0.0.1')).message, /upstream.*http/);
    const backendSocket = (value: string) =>
      loadConfig(backendOptions, { flags: { socket: value }, section: 'backend', env: {} });
    assert.match(configError(() => backendSocket(long)).message, /socket.*at most 107/);
    assert.equal(backendSocket('/run/ocpp-edge/backend.sock').socket, '/run/ocpp-edge/backend.sock');
  });
});
