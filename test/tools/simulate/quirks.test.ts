// Issue 15 §4: `simulate --quirks`: simulated chargers that behave like real models. Against a backend they boot
// and run a session, and the backend records each quirk as the violation it is; unknown names are refused.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { simulationOptions } from '../../../tools/simulate/options.js';
import { QUIRKS, withQuirks } from '../../../tools/simulate/quirks.js';
import { startTestBackend, type TestBackend } from '../../support/backend-instance.js';
import { metricValue, scrapeMetrics, startProxyUnderTest } from '../../support/proxy-under-test.js';
import { startSimulatedCharger } from '../../support/simulated-charger.js';
import { createStorage, type StorageTarget } from '../../support/storage-targets.js';
import { waitFor } from '../../support/waiting.js';

describe('simulate --quirks', () => {
  let storage: StorageTarget;
  let backend: TestBackend;
  before(async (t) => {
    storage = (await createStorage('sqlite', t as never)) as StorageTarget;
    backend = await startTestBackend({ database: storage.url });
  });
  after(async () => {
    await backend?.stop();
    await storage?.cleanup();
  });

  it('refuses an unknown quirk naming the known ones', () => {
    assert.throws(
      () => simulationOptions({ url: 'ws://127.0.0.1:1/ocpp', quirks: 'evlink-long-serials,nope' }),
      /nope/,
    );
    assert.equal(simulationOptions({ url: 'ws://127.0.0.1:1/ocpp', quirks: 'frequency-hz' }).quirks, 'frequency-hz');
  });

  it('rewrites a copy of the payload, not the charger own', () => {
    const payload = { meterValue: [{ timestamp: 'x', sampledValue: [{ value: '12.5', unit: 'Wh' }] }] };
    const quirky = withQuirks(['numeric-meter-values', 'lowercase-units'], 'MeterValues', payload);
    assert.deepEqual(quirky, { meterValue: [{ timestamp: 'x', sampledValue: [{ value: 12.5, unit: 'wh' }] }] });
    assert.equal(payload.meterValue[0]!.sampledValue[0]!.value, '12.5');
  });

  it('boots and charges like the models, and the backend records each quirk', async () => {
    const names = Object.keys(QUIRKS);
    await backend.api('PUT', '/api/id-tags/SIM-QUIRKY', { status: 'Accepted' });
    const simulated = await startSimulatedCharger(backend.ocppUrl, 'SIM-QUIRKY', {
      quirks: names,
      runTransactions: true,
      meterIntervalSec: 0.2,
      transactionDurationSec: 1,
      transactionPauseSec: 0.2,
    });
    try {
      await simulated.booted();
      const record = await waitFor(
        'every quirk recorded',
        async () => {
          const body = (await backend.api('GET', '/api/charge-points/SIM-QUIRKY/schema-violations')).body;
          const seen = new Set(
            body.violations.map((v: { action: string; keyword: string }) => `${v.action} ${v.keyword}`),
          );
          return [
            'BootNotification maxLength',
            'MeterValues type',
            'MeterValues enum',
            'StartTransaction required',
          ].every((kind) => seen.has(kind))
            ? body
            : undefined;
        },
        { timeoutMs: 15_000 },
      );
      assert.ok(record.count >= 4);
      const [transaction] = (await backend.api('GET', '/api/transactions?chargePointId=SIM-QUIRKY')).body;
      assert.ok(transaction.flags.includes('timestampDefaulted'));
    } finally {
      await simulated.stop();
    }
  });

  it('autel-no-connection-header: the upgrade goes without Connection, through the proxy, which counts it', async () => {
    const edge = await startProxyUnderTest({ upstream: [backend.httpUrl], tls: 'self-signed' });
    const tolerated = async () =>
      metricValue(await scrapeMetrics(edge.proxy), 'ocpp_edge_handshake_tolerances_total', {
        kind: 'connection_header',
      }) ?? 0;
    const before = await tolerated();
    const simulated = await startSimulatedCharger(`wss://127.0.0.1:${edge.proxy.httpsPort}/ocpp`, 'SIM-AUTEL', {
      quirks: ['autel-no-connection-header'],
      rejectUnauthorized: false,
    });
    try {
      await simulated.booted();
      assert.equal(await tolerated(), before + 1, 'the proxy took the upgrade as the tolerance it is');
      assert.equal((await backend.api('GET', '/api/charge-points/SIM-AUTEL')).status, 200, 'it reached the backend');
    } finally {
      await simulated.stop();
      await edge.close();
    }
  });
});
