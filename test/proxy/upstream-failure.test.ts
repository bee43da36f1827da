// Issue 2, points 3 and 5 (timeouts and upstream failure): a dead upstream gives 502 (JSON for HTTP, an HTTP
// answer to an upgrade) and a slow one 504, never a hang; when either side of a proxied WebSocket closes or
// vanishes the other side is closed too, proven by counting the upstream's sockets after hundreds of abrupt
// disconnects; and silent WebSockets are closed after --ws-idle-timeout.

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import http from 'node:http';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import WebSocket from 'ws';
import { assertSecurityHeaders } from '../support/proxy-assertions.js';
import { metricValue, scrapeMetrics, startProxyUnderTest, type ProxyUnderTest } from '../support/proxy-under-test.js';
import { startTestUpstream, type TestUpstream } from '../support/test-upstream.js';
import { closed, httpsRequest, nextMessage, openWebSocket, refusedUpgradeStatus } from '../support/tls-clients.js';
import { waitFor } from '../support/waiting.js';

/** A local port with nothing listening on it. */
async function deadPort(): Promise<number> {
  const server = http.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('upstream down', () => {
  let edge: ProxyUnderTest;

  before(async () => {
    edge = await startProxyUnderTest({ upstream: [`http://127.0.0.1:${await deadPort()}`], tls: 'self-signed' });
  });

  after(async () => {
    await edge?.close();
  });

  test('HTTP requests get a 502 with a JSON body and the security headers, at once', async () => {
    const started = Date.now();
    const response = await httpsRequest(edge.proxy.httpsPort, '/api/charge-points');
    assert.equal(response.status, 502);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    assert.equal(JSON.parse(response.body).error, 'bad_gateway');
    assertSecurityHeaders(response);
    assert.ok(Date.now() - started < 2000);
  });

  test('a WebSocket upgrade gets an HTTP 502 answer, not a hang', async () => {
    const started = Date.now();
    assert.equal(await refusedUpgradeStatus(edge.proxy.httpsPort, '/ocpp/CP1', 'ocpp1.6'), 502);
    assert.ok(Date.now() - started < 2000);
  });

  test('the failures are counted by kind', async () => {
    const metrics = await scrapeMetrics(edge.proxy);
    assert.ok((metricValue(metrics, 'ocpp_edge_upstream_errors_total', { kind: 'refused' }) ?? 0) >= 2);
    assert.ok((metricValue(metrics, 'ocpp_edge_http_requests_total', { route: 'api', status: '502' }) ?? 0) >= 1);
  });
});

describe('upstream too slow', () => {
  test('answers 504 after --upstream-timeout, with the security headers', async () => {
    const upstream = await startTestUpstream();
    const edge = await startProxyUnderTest({ upstream: [upstream.url], tls: 'self-signed', 'upstream-timeout': 1 });
    try {
      const started = Date.now();
      const response = await httpsRequest(edge.proxy.httpsPort, '/slow');
      const elapsed = Date.now() - started;
      assert.equal(response.status, 504);
      assert.equal(JSON.parse(response.body).error, 'gateway_timeout');
      assertSecurityHeaders(response);
      assert.ok(elapsed >= 900 && elapsed < 3000, `answered after ${elapsed} ms`);
      // Still serving.
      assert.equal((await httpsRequest(edge.proxy.httpsPort, '/api/ok')).status, 200);
    } finally {
      await edge.close();
      await upstream.close();
    }
  });
});

describe('WebSocket sessions', () => {
  let upstream: TestUpstream;
  let edge: ProxyUnderTest;

  before(async () => {
    upstream = await startTestUpstream();
    edge = await startProxyUnderTest({ upstream: [upstream.url], tls: 'self-signed', 'ws-idle-timeout': 1 });
  });

  after(async () => {
    await edge?.close();
    await upstream?.close();
  });

  test('when the upstream closes, the charger is closed with its code', async () => {
    const charger = await openWebSocket(edge.proxy.httpsPort, '/ocpp/CP-UP-CLOSE', 'ocpp1.6');
    await waitFor('the upstream session', () => upstream.webSockets().size === 1);
    const done = closed(charger);
    for (const socket of upstream.webSockets()) socket.close(4000, 'bye');
    assert.equal((await done).code, 4000);
    await waitFor('the upstream socket to close', () => upstream.openSockets() === 0);
  });

  test('when the upstream dies, the charger is closed', async () => {
    const charger = await openWebSocket(edge.proxy.httpsPort, '/ocpp/CP-UP-DIES', 'ocpp1.6');
    await waitFor('the upstream session', () => upstream.webSockets().size === 1);
    const done = closed(charger);
    for (const socket of upstream.webSockets()) socket.terminate();
    assert.equal((await done).code, 1006);
  });

  test('a silent session is closed with 1001 after --ws-idle-timeout, on both sides', async () => {
    const charger = await openWebSocket(edge.proxy.httpsPort, '/ocpp/CP-IDLE', 'ocpp1.6');
    const started = Date.now();
    const { code } = await closed(charger, 4000);
    const elapsed = Date.now() - started;
    assert.equal(code, 1001);
    assert.ok(elapsed >= 900 && elapsed < 3000, `closed after ${elapsed} ms`);
    await waitFor('the upstream side to close', () => upstream.openSockets() === 0);
    // The access line comes through the proxy's stdout, which may lag behind the close on a busy machine.
    const accessLine = () => edge.logs.accessLines().find((entry) => entry.chargePointId === 'CP-IDLE');
    await waitFor('the access line of the session', () => accessLine() !== undefined);
    const line = accessLine();
    assert.equal(line?.result, 'idle_timeout');
    assert.equal(line?.closeCode, 1001);
  });

  test('each session has its own idle clock: one opened later outlives one opened earlier', async () => {
    const first = await openWebSocket(edge.proxy.httpsPort, '/ocpp/CP-IDLE-FIRST', 'ocpp1.6');
    const firstClosed = closed(first, 4000);
    await sleep(700);
    const second = await openWebSocket(edge.proxy.httpsPort, '/ocpp/CP-IDLE-SECOND', 'ocpp1.6');
    const secondClosed = closed(second, 4000);
    assert.equal((await firstClosed).code, 1001);
    assert.equal(second.readyState, WebSocket.OPEN);
    assert.equal((await secondClosed).code, 1001);
  });

  test('traffic keeps a session open past the idle timeout', async () => {
    const charger = await openWebSocket(edge.proxy.httpsPort, '/ocpp/CP-BUSY', 'ocpp1.6');
    for (let i = 0; i < 6; i++) {
      await sleep(300);
      charger.send(`heartbeat ${i}`);
      assert.equal(await nextMessage(charger), `echo:heartbeat ${i}`);
    }
    assert.equal(charger.readyState, WebSocket.OPEN);
    charger.close();
  });

  test('no leaked sockets after 300 abrupt client disconnects', async () => {
    const port = edge.proxy.httpsPort;
    const total = 300;
    const batch = 30;
    for (let done = 0; done < total; done += batch) {
      await Promise.all(
        Array.from({ length: batch }, async (_, index) => {
          const n = done + index;
          if (n % 3 === 2) {
            // Gone before the upstream answered: the upgrade request is sent, then the TCP connection is cut.
            const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false });
            await once(socket, 'secureConnect');
            socket.write(
              `GET /ocpp/CP-${n} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
            );
            socket.destroy();
            return;
          }
          const charger = await openWebSocket(port, `/ocpp/CP-${n}`, 'ocpp1.6');
          if (n % 3 === 1) {
            charger.send('mid-conversation');
            await nextMessage(charger);
          }
          charger.terminate(); // no close frame: the TCP connection just goes
        }),
      );
    }
    await waitFor(
      `the upstream to hold no sockets (holds ${upstream.openSockets()})`,
      () => upstream.openSockets() === 0,
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    const metrics = await scrapeMetrics(edge.proxy);
    await waitFor(
      'the connection gauge to reach 0',
      async () => metricValue(await scrapeMetrics(edge.proxy), 'ocpp_edge_ws_connections') === 0,
    );
    assert.ok((metricValue(metrics, 'ocpp_edge_ws_sessions_total', { result: 'closed' }) ?? 0) >= 200);
    // And the proxy still serves.
    const charger = await openWebSocket(port, '/ocpp/CP-AFTER', 'ocpp1.6');
    charger.send('ok');
    assert.equal(await nextMessage(charger), 'echo:ok');
    charger.close();
  });
});
