// Issue 2, point 6 (bad input): every malformed request gets its status without reaching the upstream, and the
// proxy keeps serving: broken WebSocket handshakes (400), oversized headers (431), headers that never finish
// (closed after --header-timeout), TLS handshakes that never finish (closed after --tls-handshake-timeout, with no
// HTTP answer), garbage instead of TLS, path traversal, invalid charge point ids.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { assertSecurityHeaders } from '../support/proxy-assertions.js';
import { metricValue, scrapeMetrics, startProxyUnderTest, type ProxyUnderTest } from '../support/proxy-under-test.js';
import { startTestUpstream, type TestUpstream } from '../support/test-upstream.js';
import { rawWebSocketOverTls } from '../support/raw-websocket.js';
import { httpsRequest, nextMessage, openWebSocket, rawTlsExchange } from '../support/tls-clients.js';
import { waitFor } from '../support/waiting.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

function upgradeRequest(path: string, headers: Record<string, string | undefined> = {}): string {
  const all: Record<string, string | undefined> = {
    Host: 'localhost',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': KEY,
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Protocol': 'ocpp1.6',
    ...headers,
  };
  const lines = Object.entries(all)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name}: ${value}\r\n`);
  return `GET ${path} HTTP/1.1\r\n${lines.join('')}\r\n`;
}

function statusOf(response: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
}

describe('bad input', () => {
  let upstream: TestUpstream;
  let edge: ProxyUnderTest;

  before(async () => {
    upstream = await startTestUpstream();
    edge = await startProxyUnderTest({
      upstream: [upstream.url],
      tls: 'self-signed',
      'header-timeout': 1,
      'tls-handshake-timeout': 3,
    });
  });

  after(async () => {
    await edge?.close();
    await upstream?.close();
  });

  /** The proxy still serves HTTP and WebSockets. */
  async function assertStillServing(): Promise<void> {
    assert.equal((await httpsRequest(edge.proxy.httpsPort, '/api/still-serving')).status, 200);
    const charger = await openWebSocket(edge.proxy.httpsPort, '/ocpp/CP-STILL', 'ocpp1.6');
    charger.send('ping');
    assert.equal(await nextMessage(charger), 'echo:ping');
    charger.close();
  }

  const handshakeCases: Array<[string, Record<string, string | undefined>]> = [
    ['without Sec-WebSocket-Key', { 'Sec-WebSocket-Key': undefined }],
    ['with a Sec-WebSocket-Key that is not 16 bytes of base64', { 'Sec-WebSocket-Key': 'not-a-key' }],
    ['without Sec-WebSocket-Version', { 'Sec-WebSocket-Version': undefined }],
    ['with Sec-WebSocket-Version 8', { 'Sec-WebSocket-Version': '8' }],
  ];
  for (const [name, headers] of handshakeCases) {
    test(`an upgrade ${name} gets 400 without reaching the upstream`, async () => {
      const handshakes = upstream.handshakes.length;
      const { response } = await rawTlsExchange(edge.proxy.httpsPort, upgradeRequest('/ocpp/CP1', headers));
      assert.equal(statusOf(response), 400, response);
      assert.match(response, /strict-transport-security: max-age=31536000; includeSubDomains/i);
      if (name.includes('Version')) assert.match(response, /sec-websocket-version: 13/i);
      assert.equal(upstream.handshakes.length, handshakes);
      await assertStillServing();
    });
  }

  // The rule of common/charge-point-identity.ts (OCPP-J section 3.1.1): percent-decoded, printable ASCII but : / \.
  const chargePointIds: Array<[string, string]> = [
    ['empty', '/ocpp/'],
    ['49 characters long', `/ocpp/${'A'.repeat(49)}`],
    ['with a colon (the Basic auth separator)', '/ocpp/CP%3A1'],
    ['with a slash', '/ocpp/CP1/extra'],
    ['with an encoded slash', '/ocpp/CP%2F1'],
    ['with a character outside ASCII', '/ocpp/CP%C3%A9'],
    ['with a malformed escape', '/ocpp/CP%E0%A4%A'],
  ];
  for (const [name, path] of chargePointIds) {
    test(`a charge point id ${name} gets 400 without reaching the upstream`, async () => {
      const handshakes = upstream.handshakes.length;
      const { response } = await rawTlsExchange(edge.proxy.httpsPort, upgradeRequest(path));
      assert.equal(statusOf(response), 400, response);
      assert.equal(upstream.handshakes.length, handshakes);
      await assertStillServing();
    });
  }

  const acceptedIds: Array<[string, string]> = [
    ['percent-encoded (OCPP 2.0.1 Part 4 example)', '/ocpp/RDAM%7C123'],
    ['with an encoded space (OCPP-J 1.6 example)', '/ocpp/RDAM%20123'],
    ['with a $ the REST API accepts too', '/ocpp/CP$1'],
    ['of 48 characters once decoded', `/ocpp/${'A'.repeat(46)}%7C%7E`],
  ];
  for (const [name, path] of acceptedIds) {
    test(`a charge point id ${name} is forwarded as sent`, async () => {
      const charger = await openWebSocket(edge.proxy.httpsPort, path, 'ocpp1.6');
      assert.equal(upstream.handshakes.at(-1)?.url, path);
      charger.close();
    });
  }

  test('a trailing slash after the charge point id is forwarded as sent, and counted', async () => {
    const counted = () =>
      scrapeMetrics(edge.proxy).then((text) =>
        metricValue(text, 'ocpp_edge_handshake_tolerances_total', { kind: 'trailing_slash' }),
      );
    const before = (await counted()) ?? 0;
    const charger = await openWebSocket(edge.proxy.httpsPort, '/ocpp/CP-SLASH/', 'ocpp1.6');
    assert.equal(upstream.handshakes.at(-1)?.url, '/ocpp/CP-SLASH/');
    charger.close();
    assert.equal(await counted(), before + 1);
  });

  // The Autel MaxiCharger AC sends no Connection header (lbbrhzn/ocpp#1933); Node parses that as a plain request.
  for (const [name, connection] of [
    ['without a Connection header', undefined],
    ['with Connection: keep-alive', 'keep-alive'],
  ] as const) {
    test(`an upgrade on /ocpp/ ${name} is upgraded, forwarded with Connection: upgrade, and counted`, async () => {
      const counted = () =>
        scrapeMetrics(edge.proxy).then(
          (text) => metricValue(text, 'ocpp_edge_handshake_tolerances_total', { kind: 'connection_header' }) ?? 0,
        );
      const before = await counted();
      const charger = await rawWebSocketOverTls(
        edge.proxy.httpsPort,
        upgradeRequest('/ocpp/CP-NOCONN', { Connection: connection }),
      );
      assert.equal(charger.status, 101, charger.head);
      assert.match(charger.head, /strict-transport-security: max-age=31536000; includeSubDomains/i);
      assert.equal(upstream.handshakes.at(-1)?.url, '/ocpp/CP-NOCONN');
      assert.equal(upstream.handshakes.at(-1)?.headers.connection, 'upgrade');
      charger.send('ping');
      assert.equal(await charger.nextText(), 'echo:ping');
      charger.close();
      assert.equal(await counted(), before + 1);
    });
  }

  test('without "Connection: Upgrade", a request elsewhere or with a body stays a plain request', async () => {
    const handshakes = upstream.handshakes.length;
    const elsewhere = await rawTlsExchange(
      edge.proxy.httpsPort,
      upgradeRequest('/api/no-connection', { Connection: undefined }).replace(
        '\r\n\r\n',
        '\r\nConnection: close\r\n\r\n',
      ),
    );
    assert.equal(statusOf(elsewhere.response), 200, elsewhere.response);
    assert.equal(upstream.requests.at(-1)?.url, '/api/no-connection');
    const withBody = await rawTlsExchange(
      edge.proxy.httpsPort,
      `${upgradeRequest('/ocpp/CP-BODY', { Connection: 'close', 'Content-Length': '2' })}hi`,
    );
    assert.notEqual(statusOf(withBody.response), 101, withBody.response);
    assert.equal(upstream.handshakes.length, handshakes, 'no upgrade reached the upstream');
    await assertStillServing();
  });

  test('a charge point id of 48 URL-safe characters is accepted', async () => {
    const id = `${'A'.repeat(20)}-b.c_d~${'9'.repeat(21)}`;
    assert.equal(id.length, 48);
    const charger = await openWebSocket(edge.proxy.httpsPort, `/ocpp/${id}`, 'ocpp1.6');
    assert.equal(upstream.handshakes.at(-1)?.url, `/ocpp/${id}`);
    charger.close();
  });

  const traversals = [
    '/api/../etc/passwd',
    '/api/%2e%2e/etc/passwd',
    '/api/%2E%2e%2Fsecret',
    '/static/..%5c..%5cwin.ini',
    '/api/..\\x',
    '/%2e/api',
    '/api/%zz',
  ];
  for (const path of traversals) {
    test(`path ${path} gets 400 without reaching the upstream`, async () => {
      const requests = upstream.requests.length;
      const { response } = await rawTlsExchange(
        edge.proxy.httpsPort,
        `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(statusOf(response), 400, response);
      assert.match(response, /x-content-type-options: nosniff/i);
      assert.equal(upstream.requests.length, requests);
      await assertStillServing();
    });
  }

  test('a traversal in an upgrade path gets 400', async () => {
    const handshakes = upstream.handshakes.length;
    const { response } = await rawTlsExchange(edge.proxy.httpsPort, upgradeRequest('/ocpp/..%2f..%2fadmin'));
    assert.equal(statusOf(response), 400, response);
    assert.equal(upstream.handshakes.length, handshakes);
  });

  test('headers over the size limit get 431', async () => {
    const requests = upstream.requests.length;
    const { response } = await rawTlsExchange(
      edge.proxy.httpsPort,
      `GET /api/x HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    assert.equal(statusOf(response), 431, response.slice(0, 200));
    assert.match(response, /x-frame-options: SAMEORIGIN/i);
    assert.equal(upstream.requests.length, requests);
    await assertStillServing();
  });

  test('headers not finished within --header-timeout: the connection is closed', async () => {
    const started = Date.now();
    const { closed } = await rawTlsExchange(
      edge.proxy.httpsPort,
      'GET /api/x HTTP/1.1\r\nHost: localhost\r\nX-Slow: ',
      5000,
    );
    const elapsed = Date.now() - started;
    assert.equal(closed, true);
    assert.ok(elapsed >= 900 && elapsed < 4000, `closed after ${elapsed} ms`);
    await assertStillServing();
  });

  test('a TLS handshake that starts late is not cut at --header-timeout', async () => {
    // As in a boot storm, where a charger's handshake waits behind thousands of others: here the client waits.
    const raw = net.connect(edge.proxy.httpsPort, '127.0.0.1');
    await once(raw, 'connect');
    let closedEarly = false;
    raw.once('close', () => (closedEarly = true));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(closedEarly, false, 'the proxy closed the connection at --header-timeout, before the TLS handshake');
    const socket = tls.connect({ socket: raw, servername: 'localhost', rejectUnauthorized: false });
    socket.on('error', () => {});
    let response = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (response += chunk));
    socket.once('secureConnect', () =>
      socket.write('GET /api/late-handshake HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'),
    );
    // Closed either way: after the answer (Connection: close), or by the proxy while the handshake was pending.
    await once(socket, 'close');
    assert.equal(
      statusOf(response),
      200,
      `the proxy closed the connection before the handshake: ${JSON.stringify(response.slice(0, 200))}`,
    );
  });

  test('a TLS handshake not finished within --tls-handshake-timeout: closed, counted, and no HTTP answer', async () => {
    const metricsBefore = await scrapeMetrics(edge.proxy);
    const before = metricValue(metricsBefore, 'ocpp_edge_tls_handshake_errors_total') ?? 0;
    const invalid = { route: 'invalid', status: '400' };
    const malformedBefore = metricValue(metricsBefore, 'ocpp_edge_http_requests_total', invalid) ?? 0;
    const started = Date.now();
    const raw = net.connect(edge.proxy.httpsPort, '127.0.0.1');
    raw.on('error', () => {});
    let received = 0;
    raw.on('data', (chunk: Buffer) => (received += chunk.length));
    // Bounded: a proxy that answers such a socket with HTTP instead of closing it keeps it open for good.
    const closed = await Promise.race([
      once(raw, 'close').then(() => true),
      new Promise<boolean>((resolve) => setTimeout(resolve, 8000, false)),
    ]);
    raw.destroy();
    assert.equal(closed, true, 'the connection was still open 8 s later');
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 2800 && elapsed < 6000, `closed after ${elapsed} ms`);
    assert.equal(received, 0, 'nothing written to a client that never sent a ClientHello');
    await waitFor(
      'the handshake error count',
      async () => (metricValue(await scrapeMetrics(edge.proxy), 'ocpp_edge_tls_handshake_errors_total') ?? 0) > before,
    );
    // A handshake that timed out is no malformed HTTP request: no "400 malformed request" for it.
    assert.equal(
      metricValue(await scrapeMetrics(edge.proxy), 'ocpp_edge_http_requests_total', invalid) ?? 0,
      malformedBefore,
    );
    await assertStillServing();
  });

  test('garbage instead of a TLS handshake is counted and the proxy keeps serving', async () => {
    const before = metricValue(await scrapeMetrics(edge.proxy), 'ocpp_edge_tls_handshake_errors_total') ?? 0;
    const socket = net.connect(edge.proxy.httpsPort, '127.0.0.1');
    await once(socket, 'connect');
    socket.on('error', () => {});
    socket.write(Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n\u0000\u00ff\u0016\u0003garbage'));
    await once(socket, 'close');
    await waitFor(
      'the handshake error count',
      async () => (metricValue(await scrapeMetrics(edge.proxy), 'ocpp_edge_tls_handshake_errors_total') ?? 0) > before,
    );
    await assertStillServing();
  });

  test('a plain request to an unknown route is proxied with the security headers', async () => {
    assertSecurityHeaders(await httpsRequest(edge.proxy.httpsPort, '/anything'));
  });
});
