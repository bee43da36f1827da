// Issue 2, points 3 and 4 (routes, forwarding headers, security headers): the plan's locations reach the
// upstream as nginx would send them, WebSockets pass through with or without a subprotocol, the forwarding headers
// are ours (not the client's, unless --trust-proxy) and every HTTPS answer carries the security headers.

import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { assertSecurityHeaders, SECURITY_HEADERS } from '../support/proxy-assertions.js';
import { startProxyUnderTest, type ProxyUnderTest } from '../support/proxy-under-test.js';
import { startTestUpstream, type TestUpstream } from '../support/test-upstream.js';
import { closed, httpsRequest, nextMessage, openWebSocket, refusedUpgradeStatus } from '../support/tls-clients.js';
import { nextEvent, waitFor } from '../support/waiting.js';

describe('routes', () => {
  let upstream: TestUpstream;
  let edge: ProxyUnderTest;

  before(async () => {
    upstream = await startTestUpstream();
    edge = await startProxyUnderTest({ upstream: [upstream.url], tls: 'self-signed', domain: ['localhost'] });
  });

  after(async () => {
    await edge?.close();
    await upstream?.close();
  });

  test("the plan's own check: a ws client without any subprotocol reaches the WebSocket upstream", async () => {
    const charger = await openWebSocket(edge.proxy.httpsPort, '/ocpp/TEST_CHARGER_01');
    assert.equal(charger.protocol, '');
    charger.send('[2,"12345","BootNotification",{"chargePointVendor":"TestVendor","chargePointModel":"TestModel"}]');
    assert.equal(
      await nextMessage(charger),
      'echo:[2,"12345","BootNotification",{"chargePointVendor":"TestVendor","chargePointModel":"TestModel"}]',
    );
    assert.equal(upstream.handshakes.at(-1)?.url, '/ocpp/TEST_CHARGER_01');
    const done = closed(charger);
    charger.close(1000);
    assert.equal((await done).code, 1000);
  });

  test('the ocpp1.6 subprotocol offer and the upstream choice pass through unchanged', async () => {
    const charger = await openWebSocket(edge.proxy.httpsPort, '/ocpp/CP-016', ['ocpp1.6', 'ocpp2.0.1']);
    assert.equal(charger.protocol, 'ocpp1.6');
    // Exactly the client's header (ws joins the offer with a bare comma).
    assert.equal(upstream.handshakes.at(-1)?.headers['sec-websocket-protocol'], 'ocpp1.6,ocpp2.0.1');
    charger.close();
  });

  test('binary frames and large messages pass through', async () => {
    const charger = await openWebSocket(edge.proxy.httpsPort, '/ocpp/CP-BIN', 'ocpp1.6');
    const payload = Buffer.alloc(200_000, 7);
    charger.send(payload);
    const echoed = await new Promise<Buffer>((resolve) => charger.once('message', (data) => resolve(data as Buffer)));
    assert.deepEqual(echoed, payload);
    charger.close();
  });

  test('/api/ requests reach the upstream with path, query, method and body', async () => {
    const response = await httpsRequest(edge.proxy.httpsPort, '/api/charge-points?status=online', {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(response.status, 200);
    const echoed = JSON.parse(response.body) as { method: string; url: string };
    assert.equal(echoed.method, 'POST');
    assert.equal(echoed.url, '/api/charge-points?status=online');
    assertSecurityHeaders(response);
  });

  test('/ and /docs reach the upstream', async () => {
    assert.equal((await httpsRequest(edge.proxy.httpsPort, '/')).status, 200);
    assert.equal(JSON.parse((await httpsRequest(edge.proxy.httpsPort, '/docs')).body).url, '/docs');
  });

  test("/health reaches the upstream's /health without an access-log line", async () => {
    const before = edge.logs.accessLines().length;
    const response = await httpsRequest(edge.proxy.httpsPort, '/health');
    assert.equal(response.status, 200);
    assert.deepEqual(JSON.parse(response.body), { status: 'ok' });
    assert.equal(upstream.requests.at(-1)?.url, '/health');
    await httpsRequest(edge.proxy.httpsPort, '/api/after-health');
    await waitFor('the /api/ access line', () => edge.logs.accessLines().length > before);
    assert.deepEqual(
      edge.logs
        .accessLines()
        .slice(before)
        .map((line) => line.path),
      ['/api/after-health'],
    );
  });

  test('X-Forwarded-For/-Proto/-Host and X-Real-IP are set, and a client X-Forwarded-For is ignored', async () => {
    await httpsRequest(edge.proxy.httpsPort, '/api/who', {
      headers: { 'x-forwarded-for': '203.0.113.9', 'x-real-ip': '203.0.113.9', 'x-forwarded-proto': 'http' },
    });
    const seen = upstream.requests.at(-1)!.headers;
    assert.match(String(seen['x-forwarded-for']), /^(::ffff:)?127\.0\.0\.1$/);
    assert.equal(seen['x-real-ip'], seen['x-forwarded-for']);
    assert.equal(seen['x-forwarded-proto'], 'https');
    assert.equal(seen['x-forwarded-host'], `127.0.0.1:${edge.proxy.httpsPort}`);
    assert.equal(seen.host, `127.0.0.1:${edge.proxy.httpsPort}`);
  });

  test('WebSocket upgrades carry the forwarding headers too', async () => {
    const charger = await openWebSocket(edge.proxy.httpsPort, '/ocpp/CP-FWD', 'ocpp1.6', {
      headers: { 'x-forwarded-for': '198.51.100.1' },
    });
    const seen = upstream.handshakes.at(-1)!.headers;
    assert.match(String(seen['x-forwarded-for']), /^(::ffff:)?127\.0\.0\.1$/);
    assert.equal(seen['x-forwarded-proto'], 'https');
    charger.close();
  });

  test('proxied responses carry the security headers', async () => {
    assertSecurityHeaders(await httpsRequest(edge.proxy.httpsPort, '/'));
    assertSecurityHeaders(await httpsRequest(edge.proxy.httpsPort, '/health'));
  });

  test('the 101 answer to an upgrade carries the security headers', async () => {
    const charger = new WebSocket(`wss://127.0.0.1:${edge.proxy.httpsPort}/ocpp/CP-HDR`, 'ocpp1.6', {
      rejectUnauthorized: false,
    });
    const opened = nextEvent(charger, 'open');
    const [response] = (await nextEvent(charger, 'upgrade')) as [IncomingMessage];
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(response.headers[name], value);
    await opened;
    charger.close();
  });

  test('upgrades outside /ocpp/ are refused with 400', async () => {
    assert.equal(await refusedUpgradeStatus(edge.proxy.httpsPort, '/api/socket'), 400);
  });
});

describe('routes with --trust-proxy', () => {
  test("a trusted balancer's X-Forwarded-For is kept and extended, and its client becomes X-Real-IP", async () => {
    const upstream = await startTestUpstream();
    const edge = await startProxyUnderTest({ upstream: [upstream.url], tls: 'self-signed', 'trust-proxy': true });
    try {
      await httpsRequest(edge.proxy.httpsPort, '/api/who', {
        headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' },
      });
      const seen = upstream.requests.at(-1)!.headers;
      assert.match(String(seen['x-forwarded-for']), /^203\.0\.113\.9, (::ffff:)?127\.0\.0\.1$/);
      assert.equal(seen['x-real-ip'], '203.0.113.9');
    } finally {
      await edge.close();
      await upstream.close();
    }
  });
});
