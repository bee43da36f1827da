// Issue 2, points 3 and 5 for WebSocket upgrades specifically: the upstream refusing a charger reaches the
// charger unchanged, and an upstream that accepts the connection but never answers the upgrade gets a 504 when
// the route's connect timeout expires (the HTTPS listener is built here with a short one: the plan's is 60 s).

import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger } from '../../common/logger.js';
import { AccessLog } from '../../proxy/access-log.js';
import { HttpsListener } from '../../proxy/listeners/https.js';
import { createProxyMetrics } from '../../proxy/metrics.js';
import { createRoutes } from '../../proxy/routes.js';
import { ClientIdentity } from '../../proxy/client-identity.js';
import { MemoryCertificateStore } from '../../proxy/tls/certificate-store.js';
import { Upstream } from '../../proxy/upstream.js';
import { UpstreamPool } from '../../proxy/upstream-pool.js';
import { LogCapture, metricValue, startProxyUnderTest, type ProxyUnderTest } from '../support/proxy-under-test.js';
import { createTestCa, issueCertificate } from '../support/test-certificates.js';
import { startTestUpstream, type TestUpstream } from '../support/test-upstream.js';
import { refusedUpgradeStatus } from '../support/tls-clients.js';

describe('upstream refusing a charger', () => {
  let upstream: TestUpstream;
  let edge: ProxyUnderTest;

  before(async () => {
    upstream = await startTestUpstream();
    edge = await startProxyUnderTest({ upstream: [upstream.url], tls: 'self-signed' });
  });

  after(async () => {
    await edge?.close();
    await upstream?.close();
  });

  test("the upstream's refusal reaches the charger with its status", async () => {
    assert.equal(await refusedUpgradeStatus(edge.proxy.httpsPort, '/ocpp/UNKNOWN-CP', 'ocpp1.6'), 404);
    const metrics = await edge.proxy.registry.metrics();
    assert.equal(metricValue(metrics, 'ocpp_edge_ws_sessions_total', { result: 'upstream_declined' }), 1);
  });
});

describe('upstream not answering an upgrade', () => {
  let silent: net.Server;
  const accepted = new Set<net.Socket>();
  let listener: HttpsListener;
  let registry: Registry;

  before(async () => {
    // Accepts TCP connections and reads, but never answers.
    silent = net.createServer((socket) => {
      accepted.add(socket);
      socket.on('close', () => accepted.delete(socket));
      socket.resume();
    });
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const ca = await createTestCa();
    const certificate = await issueCertificate(ca, ['localhost']);
    const store = new MemoryCertificateStore('localhost');
    store.install(certificate.certPem, certificate.keyPem, 'test');
    registry = new Registry();
    const metrics = createProxyMetrics(registry, store);
    const logger = createLogger({ level: 'info', name: 'proxy', destination: new LogCapture() });
    const routes = createRoutes({ wsIdleTimeout: 3600, upstreamTimeout: 60 }).map((route) =>
      route.name === 'ocpp' ? { ...route, connectTimeoutMs: 500 } : route,
    );
    const port = (silent.address() as net.AddressInfo).port;
    const pool = new UpstreamPool({ targets: [new URL(`http://127.0.0.1:${port}`)], logger });
    listener = new HttpsListener({
      store,
      routes,
      upstream: new Upstream({ pool, logger, metrics }),
      pool,
      metrics,
      accessLog: new AccessLog(logger),
      logger,
      trustProxy: false,
      headerTimeoutMs: 10_000,
      tlsHandshakeTimeoutMs: 60_000,
      clientIdentity: new ClientIdentity(undefined, metrics, logger),
    });
    listener.server.listen(0, '127.0.0.1');
    await once(listener.server, 'listening');
  });

  after(async () => {
    listener.server.closeAllConnections();
    await new Promise((resolve) => listener.server.close(resolve));
    for (const socket of accepted) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  test('gets a 504 after the connect timeout, and the upstream connection is closed', async () => {
    const port = (listener.server.address() as net.AddressInfo).port;
    const started = Date.now();
    assert.equal(await refusedUpgradeStatus(port, '/ocpp/CP-WAITING', 'ocpp1.6'), 504);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 450 && elapsed < 2500, `answered after ${elapsed} ms`);
    assert.equal(metricValue(await registry.metrics(), 'ocpp_edge_upstream_errors_total', { kind: 'timeout' }), 1);
    const deadline = Date.now() + 2000;
    while (accepted.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(accepted.size, 0);
  });
});
