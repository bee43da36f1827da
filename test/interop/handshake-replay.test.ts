// Issue 15 §3 and §4: the handshakes of the corpus (test/interop/corpus/handshakes/, each file naming the charger
// and the public report it comes from), sent byte for byte over a raw socket: through the proxy (TLS) into the
// backend, and to the backend reached directly (TCP). Either way the upgrade is accepted, the session works (a
// BootNotification is answered Accepted), and the tolerance is counted where it was applied.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startTestBackend, type TestBackend } from '../support/backend-instance.js';
import { metricValue, scrapeMetrics, startProxyUnderTest, type ProxyUnderTest } from '../support/proxy-under-test.js';
import { call, rawWebSocketOverTcp, rawWebSocketOverTls, type RawWebSocket } from '../support/raw-websocket.js';
import { createStorage, type StorageTarget } from '../support/storage-targets.js';

interface HandshakeEntry {
  charger: string;
  source: string;
  quirk: string;
  /** The request head's lines as the charger sends them; {identity} is replaced. */
  request: string[];
  /** The kind of ocpp_edge_handshake_tolerances_total it is counted under. */
  tolerance: string;
}

const CORPUS = new URL('../../../test/interop/corpus/handshakes/', import.meta.url);
const entries = readdirSync(CORPUS)
  .filter((name) => name.endsWith('.json'))
  .map((name) => ({
    name: name.replace(/\.json$/, ''),
    ...(JSON.parse(readFileSync(new URL(name, CORPUS), 'utf8')) as HandshakeEntry),
  }));

function requestBytes(entry: HandshakeEntry, identity: string): string {
  return `${entry.request.map((line) => line.replace('{identity}', identity)).join('\r\n')}\r\n\r\n`;
}

async function assertSessionWorks(charger: RawWebSocket, entry: HandshakeEntry): Promise<void> {
  assert.equal(charger.status, 101, `${entry.source}: ${charger.head}`);
  const answer = await call(charger, [
    2,
    'boot',
    'BootNotification',
    { chargePointVendor: 'interop', chargePointModel: entry.charger.slice(0, 20) },
  ]);
  assert.equal(answer[0], 3, JSON.stringify(answer));
  assert.equal((answer[2] as { status: string }).status, 'Accepted');
  charger.close();
}

function counted(metrics: string, kind: string): number {
  return metricValue(metrics, 'ocpp_edge_handshake_tolerances_total', { kind }) ?? 0;
}

describe('interop handshakes', () => {
  let storage: StorageTarget;
  let backend: TestBackend;
  let edge: ProxyUnderTest;
  before(async (t) => {
    storage = (await createStorage('sqlite', t as never)) as StorageTarget;
    backend = await startTestBackend({ database: storage.url });
    edge = await startProxyUnderTest({ upstream: [backend.httpUrl], tls: 'self-signed' });
  });
  after(async () => {
    await edge?.close();
    await backend?.stop();
    await storage?.cleanup();
  });

  for (const entry of entries) {
    it(`${entry.name} through the proxy: ${entry.charger} — ${entry.quirk}`, async () => {
      const before = counted(await scrapeMetrics(edge.proxy), entry.tolerance);
      const charger = await rawWebSocketOverTls(
        edge.proxy.httpsPort,
        requestBytes(entry, `HANDSHAKE-PROXY-${entry.name}`),
      );
      await assertSessionWorks(charger, entry);
      assert.equal(counted(await scrapeMetrics(edge.proxy), entry.tolerance), before + 1, 'counted at the proxy');
      const stored = await backend.api('GET', `/api/charge-points/HANDSHAKE-PROXY-${entry.name}`);
      assert.equal(stored.status, 200, 'the charger reached the backend');
    });

    it(`${entry.name} straight to the backend: ${entry.charger} — ${entry.quirk}`, async () => {
      const before = counted(await backend.metrics(), entry.tolerance);
      const charger = await rawWebSocketOverTcp(
        backend.handle.port,
        requestBytes(entry, `HANDSHAKE-DIRECT-${entry.name}`),
      );
      await assertSessionWorks(charger, entry);
      assert.equal(counted(await backend.metrics(), entry.tolerance), before + 1, 'counted at the backend');
    });
  }
});
