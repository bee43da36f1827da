// Security profile 1 over plain ws:// through the proxy's HTTP listener (--plain-ocpp-on-http): real chargers,
// real proxy, real backend. Only charge points whose stored profile is 1 get in; profiles 0, 2 and 3 and unknown
// identities are refused; the proxy's transport header cannot be forged from outside; sessions are counted; and
// everything that is not an /ocpp/ upgrade still gets the redirect. Without the flag, /ocpp/ upgrades on port 80
// are redirected too.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { CLIENT_CERTIFICATE_HEADERS } from '../../../common/client-certificate-headers.js';
import { TRANSPORT_HEADER } from '../../../common/transport-header.js';
import { startTestBackend, type TestBackend } from '../../support/backend-instance.js';
import {
  makeTempDir,
  metricValue,
  scrapeMetrics,
  startProxyUnderTest,
  type ProxyUnderTest,
} from '../../support/proxy-under-test.js';
import { closeAttempt, connectSecureCharger } from '../../support/secure-chargers.js';
import { nextMessage } from '../../support/tls-clients.js';
import { waitFor } from '../../support/waiting.js';

const PASSWORD = 'profile-1-password-01';

/** A plain upgrade request on the HTTP listener: the status and Location of the answer. */
function plainUpgrade(port: number, path: string): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    const request = http.request({
      host: '127.0.0.1',
      port,
      path,
      agent: false,
      headers: {
        host: 'localhost',
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-protocol': 'ocpp1.6',
      },
    });
    request.on('response', (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0, location: response.headers.location });
    });
    request.on('upgrade', (response, socket) => {
      socket.destroy();
      resolve({ status: response.statusCode ?? 0, location: undefined });
    });
    request.on('error', reject);
    request.end();
  });
}

describe('security profile 1 over plain ws:// (--plain-ocpp-on-http)', () => {
  let backend: TestBackend;
  let edge: ProxyUnderTest;
  const logLines: Array<Record<string, unknown>> = [];

  before(async () => {
    const dir = await makeTempDir('ocpp-edge-plain-');
    backend = await startTestBackend(
      { database: `sqlite:${dir}/ocpp.db`, 'cpo-name': 'Example CPO', 'log-level': 'info' },
      { logLines },
    );
    edge = await startProxyUnderTest({
      upstream: [backend.httpUrl],
      'plain-ocpp-on-http': true,
      'ban-failures-per-id': 0,
    });
    for (const [id, body] of [
      ['CP-1', { securityProfile: 1, password: PASSWORD }],
      ['CP-2', { securityProfile: 2, password: PASSWORD }],
      ['CP-0', {}],
    ] as const)
      assert.equal((await backend.api('PUT', `/api/charge-points/${id}`, body)).status, 201);
  });
  after(async () => {
    await edge?.close();
    await backend?.stop();
  });

  const lastRefusal = () => logLines.filter((line) => String(line.msg).startsWith('upgrade refused')).at(-1)!;
  const plainPort = () => edge.proxy.httpPort;

  it('warns at start-up that chargers may connect without TLS', () => {
    const warning = edge.logs.matching((line) => String(line.msg).startsWith('--plain-ocpp-on-http'));
    assert.equal(warning.length, 1);
    assert.equal(warning[0]!.level, 40);
  });

  it('a profile-1 charger connects with its password, speaks OCPP, and is counted while connected', async () => {
    const attempt = await connectSecureCharger(plainPort(), 'CP-1', { plain: true, password: PASSWORD });
    assert.equal(attempt.status, 101);
    attempt.socket!.send(JSON.stringify([2, 'h1', 'Heartbeat', {}]));
    const answer = JSON.parse(await nextMessage(attempt.socket!)) as unknown[];
    assert.deepEqual(answer.slice(0, 2), [3, 'h1']);
    const metrics = await scrapeMetrics(edge.proxy);
    assert.equal(metricValue(metrics, 'ocpp_edge_plain_ws_connections'), 1);
    assert.ok((metricValue(metrics, 'ocpp_edge_plain_ws_sessions_total') ?? 0) >= 1);
    await closeAttempt(attempt);
    await waitFor(
      'the gauge to drop when the charger leaves',
      async () => metricValue(await scrapeMetrics(edge.proxy), 'ocpp_edge_plain_ws_connections') === 0,
    );
    const session = edge.logs
      .accessLines()
      .find((line) => line.chargePointId === 'CP-1' && line.msg === 'websocket session');
    assert.equal(session?.transport, 'plain');
  });

  it('a wrong or missing password is 401', async () => {
    const wrong = await connectSecureCharger(plainPort(), 'CP-1', { plain: true, password: `${PASSWORD}x` });
    assert.equal(wrong.status, 401);
    assert.equal(lastRefusal().reason, 'password_wrong');
    const none = await connectSecureCharger(plainPort(), 'CP-1', { plain: true });
    assert.equal(none.status, 401);
    assert.equal(lastRefusal().reason, 'password_missing');
  });

  it('profiles 0 and 2 and unknown identities are refused on the plain listener (403)', async () => {
    const two = await connectSecureCharger(plainPort(), 'CP-2', { plain: true, password: PASSWORD });
    assert.equal(two.status, 403);
    assert.equal(lastRefusal().reason, 'tls_required');
    const zero = await connectSecureCharger(plainPort(), 'CP-0', { plain: true });
    assert.equal(zero.status, 403);
    assert.equal(lastRefusal().reason, 'plain_ws_not_allowed');
    const unknown = await connectSecureCharger(plainPort(), 'CP-NEW', { plain: true });
    assert.equal(unknown.status, 403);
    assert.equal(lastRefusal().reason, 'plain_ws_not_allowed');
    assert.equal((await backend.api('GET', '/api/charge-points/CP-NEW')).status, 404, 'not registered');
    // The same chargers over TLS are what they always were.
    const tls = await connectSecureCharger(edge.proxy.httpsPort, 'CP-0');
    assert.equal(tls.status, 101);
    await closeAttempt(tls);
  });

  it('a client cannot pass a plain connection off as TLS, nor forge a certificate verdict', async () => {
    const attempt = await connectSecureCharger(plainPort(), 'CP-2', {
      plain: true,
      password: PASSWORD,
      headers: {
        [TRANSPORT_HEADER]: 'tls',
        'x-forwarded-proto': 'https',
        [CLIENT_CERTIFICATE_HEADERS.verify]: 'SUCCESS',
      },
    });
    assert.equal(attempt.status, 403);
    assert.equal(lastRefusal().reason, 'tls_required');
  });

  it('the transport header from outside --trusted-proxy is refused by the backend (403)', async () => {
    const port = Number(new URL(backend.httpUrl).port);
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ocpp/CP-1`, ['ocpp1.6'], {
        headers: { [TRANSPORT_HEADER]: 'tls' },
        localAddress: '127.0.0.2',
      });
      ws.once('open', () => reject(new Error('upgraded')));
      ws.once('unexpected-response', (request, response) => {
        resolve(response.statusCode ?? 0);
        request.destroy();
      });
      ws.once('error', reject);
    });
    assert.equal(status, 403);
    assert.equal(lastRefusal().reason, 'untrusted_proxy_headers');
  });

  it('everything else on the HTTP listener still redirects: requests, /ocpp/ without upgrade, other upgrades', async () => {
    const other = await plainUpgrade(plainPort(), '/api/charge-points');
    assert.equal(other.status, 301);
    assert.equal(other.location, `https://localhost:${edge.proxy.httpsPort}/api/charge-points`);
    const request = await fetch(`http://127.0.0.1:${plainPort()}/ocpp/CP-1`, { redirect: 'manual' });
    assert.equal(request.status, 301);
    assert.match(request.headers.get('location') ?? '', /^https:\/\/.*\/ocpp\/CP-1$/);
  });
});

describe('the HTTP listener without --plain-ocpp-on-http', () => {
  let backend: TestBackend;
  let edge: ProxyUnderTest;

  before(async () => {
    const dir = await makeTempDir('ocpp-edge-plain-off-');
    backend = await startTestBackend({ database: `sqlite:${dir}/ocpp.db` });
    edge = await startProxyUnderTest({ upstream: [backend.httpUrl] });
    await backend.api('PUT', '/api/charge-points/CP-1', { securityProfile: 1, password: PASSWORD });
  });
  after(async () => {
    await edge?.close();
    await backend?.stop();
  });

  it('redirects an /ocpp/ upgrade to https: no charger connects over ws://', async () => {
    const answer = await plainUpgrade(edge.proxy.httpPort, '/ocpp/CP-1');
    assert.equal(answer.status, 301);
    assert.equal(answer.location, `https://localhost:${edge.proxy.httpsPort}/ocpp/CP-1`);
    const attempt = await connectSecureCharger(edge.proxy.httpPort, 'CP-1', { plain: true, password: PASSWORD });
    assert.equal(attempt.status, 301);
    assert.equal(edge.logs.matching((line) => String(line.msg).startsWith('--plain-ocpp-on-http')).length, 0);
  });
});
