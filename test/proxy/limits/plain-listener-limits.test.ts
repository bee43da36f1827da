// The edge limits on the HTTP listener (port 80), where --plain-ocpp-on-http lets security profile 1 chargers in
// over ws://: real profile-1 chargers through the proxy to the real backend, from several loopback addresses.
// Concurrent connections and new connections a second per address, the charge point bans and the global ceiling
// (one budget over both listeners) hold there as on HTTPS; plain connections are never counted as TLS handshakes;
// every held charger keeps working.

import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { startTestBackend, type TestBackend } from '../../support/backend-instance.js';
import {
  makeTempDir,
  metricValue,
  scrapeMetrics,
  startProxyUnderTest,
  type ProxyUnderTest,
} from '../../support/proxy-under-test.js';
import { closeAttempt, connectSecureCharger, type SecureChargerAttempt } from '../../support/secure-chargers.js';
import { nextMessage } from '../../support/tls-clients.js';
import { waitFor } from '../../support/waiting.js';

const PASSWORD = 'profile-1-password-01';
const WRONG = 'profile-1-password-02';

async function refusalCount(edge: ProxyUnderTest, reason: string): Promise<number> {
  return metricValue(await scrapeMetrics(edge.proxy), 'ocpp_edge_limit_refusals_total', { reason }) ?? 0;
}

/** A plain HTTP GET on port 80 from `localAddress`: its status and Retry-After. */
function plainGet(port: number, localAddress: string): Promise<{ status: number; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', localAddress, agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined });
    });
    req.on('timeout', () => req.destroy(new Error('no answer in time')));
    req.on('error', reject);
  });
}

/** A raw TCP request: 'served' when any answer came back, 'closed' when the proxy closed the connection first. */
function tcpAttempt(port: number, localAddress: string): Promise<'served' | 'closed'> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress });
    socket.once('connect', () => socket.write('GET / HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n'));
    socket.once('data', () => {
      socket.destroy();
      resolve('served');
    });
    socket.once('error', () => resolve('closed'));
    socket.once('close', () => resolve('closed'));
  });
}

async function heartbeat(attempt: SecureChargerAttempt, id: string): Promise<void> {
  attempt.socket!.send(JSON.stringify([2, id, 'Heartbeat', {}]));
  const answer = JSON.parse(await nextMessage(attempt.socket!)) as unknown[];
  assert.deepEqual(answer.slice(0, 2), [3, id]);
}

const ids = [...Array.from({ length: 8 }, (_, i) => `CP-P${i}`), 'CP-BAN'];

describe('edge limits on the plain HTTP listener (--plain-ocpp-on-http)', () => {
  let backend: TestBackend;
  let edge: ProxyUnderTest;
  let ceiling: ProxyUnderTest;

  before(async () => {
    const dir = await makeTempDir('ocpp-edge-plain-limits-');
    backend = await startTestBackend({ database: `sqlite:${dir}/ocpp.db` });
    for (const id of ids)
      assert.equal(
        (await backend.api('PUT', `/api/charge-points/${id}`, { securityProfile: 1, password: PASSWORD })).status,
        201,
      );
    edge = await startProxyUnderTest({
      upstream: [backend.httpUrl],
      tls: 'self-signed',
      'plain-ocpp-on-http': true,
      'limit-connections-per-address': 3,
      // Were plain connections counted as handshakes (never finished), a second one would be closed at accept.
      'limit-tls-handshakes-per-address': 1,
      'limit-connection-rate': 1,
      'limit-connection-burst': 6,
      'ban-failures-per-id': 2,
      'ban-time': 60,
    });
    ceiling = await startProxyUnderTest({
      upstream: [backend.httpUrl],
      tls: 'self-signed',
      'plain-ocpp-on-http': true,
      'max-connections': 3,
    });
  });

  after(async () => {
    await ceiling?.close();
    await edge?.close();
    await backend?.stop();
  });

  test('over the per-address limit on port 80: the upgrade gets 503, a request 429; other addresses are served, held chargers keep working', async () => {
    const port = edge.proxy.httpPort;
    const site = { plain: true, password: PASSWORD, localAddress: '127.0.0.2' };
    const held: SecureChargerAttempt[] = [];
    for (let i = 0; i < 3; i++) {
      const attempt = await connectSecureCharger(port, `CP-P${i}`, site);
      assert.equal(attempt.status, 101, attempt.body);
      held.push(attempt);
    }
    const before = await refusalCount(edge, 'connections_per_address');
    const fourth = await connectSecureCharger(port, 'CP-P3', site);
    assert.equal(fourth.status, 503, fourth.body);
    assert.match(fourth.body, /too many connections/);
    const request = await plainGet(port, '127.0.0.2');
    assert.equal(request.status, 429);
    assert.match(request.retryAfter ?? '', /^[1-9]\d*$/);
    assert.equal(await refusalCount(edge, 'connections_per_address'), before + 2);
    // Another address: its charger connects, its request gets the redirect.
    const other = await connectSecureCharger(port, 'CP-P4', { ...site, localAddress: '127.0.0.3' });
    assert.equal(other.status, 101, other.body);
    assert.equal((await plainGet(port, '127.0.0.3')).status, 301);
    for (const [i, attempt] of [...held, other].entries()) await heartbeat(attempt, `held-${i}`);
    assert.equal(await refusalCount(edge, 'tls_handshakes'), 0);
    for (const attempt of [...held, other]) await closeAttempt(attempt);
    // Once they are gone, that address connects again.
    await waitFor('a charger from 127.0.0.2 to connect again', async () => {
      const again = await connectSecureCharger(port, 'CP-P3', site);
      await closeAttempt(again);
      return again.status === 101;
    });
  });

  test('new connections a second on port 80: past the burst closed at accept, another address unaffected', async () => {
    const port = edge.proxy.httpPort;
    const before = await refusalCount(edge, 'connection_rate');
    const outcomes: string[] = [];
    for (let i = 0; i < 10; i++) outcomes.push(await tcpAttempt(port, '127.0.0.4'));
    const served = outcomes.filter((outcome) => outcome === 'served').length;
    // A burst of 6, plus at most one token refilled at 1/s while the loop ran.
    assert.ok(served >= 6 && served <= 7, outcomes.join(' '));
    assert.equal(outcomes.at(-1), 'closed');
    assert.ok((await refusalCount(edge, 'connection_rate')) >= before + 3);
    assert.equal(await tcpAttempt(port, '127.0.0.5'), 'served');
  });

  test('charge point bans hold for plain upgrades: after refused passwords over ws:// the id gets 429', async () => {
    const port = edge.proxy.httpPort;
    const site = { plain: true, localAddress: '127.0.0.6' };
    for (let i = 0; i < 2; i++)
      assert.equal((await connectSecureCharger(port, 'CP-BAN', { ...site, password: WRONG })).status, 401);
    const before = await refusalCount(edge, 'banned_charge_point');
    const banned = await connectSecureCharger(port, 'CP-BAN', { ...site, password: PASSWORD });
    assert.equal(banned.status, 429, 'banned even with the right password, before the central system');
    assert.equal(await refusalCount(edge, 'banned_charge_point'), before + 1);
    // A neighbour on the same address is not.
    const neighbour = await connectSecureCharger(port, 'CP-P5', { ...site, password: PASSWORD });
    assert.equal(neighbour.status, 101, neighbour.body);
    await closeAttempt(neighbour);
  });

  test('the global ceiling is one budget over both listeners: at it, port 80 and 443 close new connections; held chargers keep working', async () => {
    const { httpPort, httpsPort } = ceiling.proxy;
    const held = [
      await connectSecureCharger(httpsPort, 'CP-P6', { password: PASSWORD, localAddress: '127.0.1.1' }),
      await connectSecureCharger(httpPort, 'CP-P7', { plain: true, password: PASSWORD, localAddress: '127.0.1.2' }),
    ];
    for (const attempt of held) assert.equal(attempt.status, 101, attempt.body);
    // A third, plain, connection is the last under the ceiling of 3.
    const last = net.connect({ host: '127.0.0.1', port: httpPort, localAddress: '127.0.1.3' });
    await new Promise((resolve) => last.once('connect', resolve));
    await waitFor('the third connection to be accepted', async () => {
      const text = await scrapeMetrics(ceiling.proxy);
      return (
        metricValue(text, 'ocpp_edge_max_connections') === 3 && (await tcpAttempt(httpPort, '127.0.1.4')) === 'closed'
      );
    });
    const refusedTls = await new Promise<string>((resolve) => {
      const socket = tls.connect({
        host: '127.0.0.1',
        port: httpsPort,
        localAddress: '127.0.1.5',
        rejectUnauthorized: false,
      } as tls.ConnectionOptions);
      socket.once('secureConnect', () => {
        socket.destroy();
        resolve('secure');
      });
      socket.once('error', () => resolve('closed'));
      socket.once('close', () => resolve('closed'));
    });
    assert.equal(refusedTls, 'closed');
    assert.ok((await refusalCount(ceiling, 'max_connections')) >= 2);
    for (const [i, attempt] of held.entries()) await heartbeat(attempt, `ceiling-${i}`);
    last.destroy();
    await waitFor('a plain request to be served again under the ceiling', async () => {
      return (await tcpAttempt(httpPort, '127.0.1.4')) === 'served';
    });
    for (const attempt of held) await closeAttempt(attempt);
  });
});
