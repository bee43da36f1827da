// The console's Edge page data: the backend reads each proxy's GET /status on its private listener and keeps the
// last hour — certificates, upstreams, connections, and handshake and upgrade failures counted between samples.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { API_TOKEN } from '../../support/backend-instance.js';
import { startConsoleStack, type ConsoleStack } from '../../support/console-stack.js';
import { freePort } from '../../support/ports.js';
import { startTestBackend } from '../../support/backend-instance.js';
import { createStorage } from '../../support/storage-targets.js';
import { httpsRequest, openWebSocket } from '../../support/tls-clients.js';

describe('GET /api/edge', () => {
  let stack: ConsoleStack;

  before(async () => {
    stack = await startConsoleStack();
  });
  after(async () => {
    await stack?.close();
  });

  const edge = async () =>
    (await stack.backend.api('GET', '/api/edge')).body as {
      proxies: Array<{
        url: string;
        up: boolean;
        status: {
          certificates: Array<{ names: string[]; issuer: string; notAfter: string; origin: string }>;
          upstreams: Array<{ url: string; healthy: boolean }>;
        };
        series: Array<{ connections: number; handshakeErrors: number; upgradeFailures: number }>;
      }>;
    };

  it("shows the proxy's certificates and upstreams as the proxy serves them", async () => {
    await stack.backend.handle.edge.sampleAll();
    const [proxy] = (await edge()).proxies;
    assert.ok(proxy?.up);
    const certificate = proxy.status.certificates.find((c) => c.names.includes('localhost'));
    assert.ok(certificate, 'the localhost certificate');
    assert.match(certificate.issuer, /ocpp-edge console test CA/);
    assert.equal(certificate.origin, 'files');
    assert.ok(Date.parse(certificate.notAfter) > Date.now());
    // The proxy's limits (proxy/limits/): its connection ceiling from the file-descriptor limit.
    assert.ok((proxy as unknown as { limits: { maxConnections: number } }).limits.maxConnections > 0);
    assert.deepEqual(
      proxy.status.upstreams.map((u) => u.url),
      [stack.backend.httpUrl],
    );
  });

  it('counts connections, failed TLS handshakes and refused upgrades between two samples', async () => {
    await stack.backend.handle.edge.sampleAll();
    // A client that speaks no TLS, and an upgrade to a path that is no charge point.
    const garbage = net.connect(stack.proxy.proxy.httpsPort, '127.0.0.1');
    garbage.end('GET / HTTP/1.1\r\n\r\n');
    await new Promise((resolve) => garbage.once('close', resolve));
    const refused = await httpsRequest(stack.proxy.proxy.httpsPort, '/ocpp/', {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      },
    }).catch(() => undefined);
    assert.ok(refused === undefined || refused.status >= 400);
    const charger = await openWebSocket(stack.proxy.proxy.httpsPort, '/ocpp/CP-EDGE', ['ocpp1.6']);
    await stack.backend.handle.edge.sampleAll();
    const latest = (await edge()).proxies[0]!.series.at(-1)!;
    assert.equal(latest.connections, 1);
    assert.equal(latest.handshakeErrors, 1);
    assert.ok(latest.upgradeFailures >= 1, 'the refused upgrade');
    charger.close();
  });

  it('says when a proxy cannot be read, and keeps serving', async (t) => {
    const storage = (await createStorage('sqlite', t as never))!;
    const closedPort = await freePort();
    const backend = await startTestBackend({
      database: storage.url,
      'proxy-status-url': [`http://127.0.0.1:${closedPort}`],
    });
    try {
      await backend.handle.edge.sampleAll();
      const answer = await backend.api('GET', '/api/edge', undefined, API_TOKEN);
      assert.equal(answer.status, 200);
      assert.equal(answer.body.proxies[0].up, false);
      assert.match(answer.body.proxies[0].error, /fetch failed|ECONNREFUSED/);
    } finally {
      await backend.stop();
      await storage.cleanup();
    }
  });
});
