// Issue 2, point 7 (observability): one pino access line per HTTP request and one per WebSocket session when it
// ends; the Prometheus metrics and /healthz on the private metrics listener only.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { metricValue, scrapeMetrics, startProxyUnderTest, type ProxyUnderTest } from '../support/proxy-under-test.js';
import { startTestUpstream, type TestUpstream } from '../support/test-upstream.js';
import { closed, httpsRequest, nextMessage, openWebSocket } from '../support/tls-clients.js';
import { waitFor } from '../support/waiting.js';

describe('observability', () => {
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

  test('one access line per HTTP request', async () => {
    await httpsRequest(edge.proxy.httpsPort, '/api/charge-points?limit=5', { headers: { 'user-agent': 'test-agent' } });
    await waitFor('the access line', () =>
      edge.logs.accessLines().some((line) => line.path === '/api/charge-points?limit=5'),
    );
    const lines = edge.logs.accessLines().filter((line) => line.path === '/api/charge-points?limit=5');
    assert.equal(lines.length, 1);
    const [line] = lines;
    assert.equal(line.method, 'GET');
    assert.equal(line.status, 200);
    assert.equal(line.route, 'api');
    assert.equal(line.userAgent, 'test-agent');
    assert.match(String(line.client), /127\.0\.0\.1/);
    assert.equal(typeof line.durationMs, 'number');
  });

  test('one line per WebSocket session when it ends: id, client, duration, bytes each way, close code', async () => {
    const charger = await openWebSocket(edge.proxy.httpsPort, '/ocpp/CP-LOGGED', 'ocpp1.6');
    charger.send('[2,"1","Heartbeat",{}]'); // 22 bytes of payload, 6 bytes of masked frame header
    assert.equal(await nextMessage(charger), 'echo:[2,"1","Heartbeat",{}]'); // 27 bytes, 2 of header
    assert.equal(
      edge.logs.accessLines().filter((line) => line.chargePointId === 'CP-LOGGED').length,
      0,
      'no line while open',
    );
    const done = closed(charger);
    charger.close(1000, 'done');
    await done;
    await waitFor('the session line', () => edge.logs.accessLines().some((line) => line.chargePointId === 'CP-LOGGED'));
    const lines = edge.logs.accessLines().filter((line) => line.chargePointId === 'CP-LOGGED');
    assert.equal(lines.length, 1);
    const [line] = lines;
    assert.equal(line.msg, 'websocket session');
    assert.match(String(line.client), /127\.0\.0\.1/);
    assert.equal(line.subprotocol, 'ocpp1.6');
    assert.equal(line.closeCode, 1000);
    assert.equal(line.closedBy, 'client');
    // The message frames plus the close frames (client: 6 + 2 + 4 bytes; upstream: 2 + 2 + 4).
    assert.equal(line.bytesFromClient, 28 + 12);
    assert.equal(line.bytesToClient, 29 + 8);
    assert.equal(typeof line.durationMs, 'number');
  });

  test('the metrics listener serves every proxy metric and the default process metrics', async () => {
    await httpsRequest(edge.proxy.httpsPort, '/api/counted');
    const text = await scrapeMetrics(edge.proxy);
    for (const name of [
      'ocpp_edge_ws_connections',
      'ocpp_edge_ws_sessions_total',
      'ocpp_edge_http_requests_total',
      'ocpp_edge_http_request_duration_seconds',
      'ocpp_edge_upstream_errors_total',
      'ocpp_edge_tls_handshake_errors_total',
      'ocpp_edge_certificate_expiry_timestamp_seconds',
      'ocpp_edge_config_reloads_total',
      'process_cpu_user_seconds_total',
      'nodejs_eventloop_lag_seconds',
    ]) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
    }
    assert.ok((metricValue(text, 'ocpp_edge_http_requests_total', { route: 'api', status: '200' }) ?? 0) >= 1);
    assert.ok((metricValue(text, 'ocpp_edge_http_request_duration_seconds_count', { route: 'api' }) ?? 0) >= 1);
    assert.ok((metricValue(text, 'ocpp_edge_ws_sessions_total', { result: 'closed' }) ?? 0) >= 1);
    const notAfter = edge.proxy.certificateStore.lookup('localhost')!.notAfter.getTime() / 1000;
    assert.equal(
      metricValue(text, 'ocpp_edge_certificate_expiry_timestamp_seconds', { domain: 'localhost' }),
      Math.floor(notAfter),
    );
  });

  test('the gauge counts open WebSocket sessions', async () => {
    const charger = await openWebSocket(edge.proxy.httpsPort, '/ocpp/CP-GAUGE', 'ocpp1.6');
    await waitFor(
      'one open session',
      async () => metricValue(await scrapeMetrics(edge.proxy), 'ocpp_edge_ws_connections') === 1,
    );
    charger.close();
    await waitFor(
      'no open session',
      async () => metricValue(await scrapeMetrics(edge.proxy), 'ocpp_edge_ws_connections') === 0,
    );
  });

  test('/healthz on the metrics listener', async () => {
    const response = await fetch(`http://127.0.0.1:${edge.proxy.metricsPort}/healthz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });

  test('metrics are never served on the public listener, nor forwarded to an upstream that would serve them', async () => {
    const forwardedBefore = upstream.requests.length;
    for (const path of [
      '/metrics',
      '/metrics/',
      '/metrics?name=x',
      '//metrics',
      '/METRICS',
      '/%6detrics',
      '/metrics/x',
    ]) {
      const response = await httpsRequest(edge.proxy.httpsPort, path);
      assert.equal(response.status, 404, path);
      assert.doesNotMatch(response.body, /ocpp_edge_|# HELP/, path);
    }
    assert.equal(upstream.requests.length, forwardedBefore, 'none of them reached the upstream');
    // Paths that only start alike are the upstream's.
    assert.equal((await httpsRequest(edge.proxy.httpsPort, '/metrics-dashboard')).status, 200);
  });
});
