// One URL, two versions: which OCPP version a charger is served with, from what it offers, --ocpp-versions and
// its own list set through the API; and strict 2.0.1 schemas for 2.0.1 connections.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { backendOptions } from '../../../backend/options.js';
import { ConfigError, loadConfig } from '../../../common/config.js';
import { startTestBackend, type TestBackend } from '../../support/backend-instance.js';
import { connectCharger, RawCharger, upgradeStatus } from '../../support/ocpp-chargers.js';
import { createStorage, type StorageTarget } from '../../support/storage-targets.js';
import { waitFor } from '../../support/waiting.js';

/** The subprotocol a charger offering `protocols` is served with, or the HTTP status it was refused with. */
async function servedWith(backend: TestBackend, id: string, protocols: string[]): Promise<string | number> {
  try {
    const charger = await RawCharger.connect(backend.ocppUrl, id, protocols);
    const protocol = charger.ws.protocol;
    charger.close();
    await charger.closed;
    return protocol;
  } catch {
    return upgradeStatus(backend.ocppUrl, id, { protocols });
  }
}

describe('OCPP version negotiation', () => {
  let storage: StorageTarget;
  let backend: TestBackend;

  before(async (t) => {
    storage = (await createStorage('sqlite', t as never))!;
    backend = await startTestBackend({ database: storage.url });
  });
  after(async () => {
    await backend?.stop();
    await storage?.cleanup();
  });

  it('serves a charger that offers only ocpp2.0.1 with OCPP 2.0.1 (it used to get 400)', async () => {
    assert.equal(await servedWith(backend, 'CP-201-ONLY', ['ocpp2.0.1']), 'ocpp2.0.1');
    const chargePoint = await backend.api('GET', '/api/charge-points/CP-201-ONLY');
    assert.equal(chargePoint.body.ocppVersion, '2.0.1', 'the negotiated version is kept for the API');
  });

  it('by default keeps a charger offering both on 1.6, and serves no subprotocol as 1.6', async () => {
    assert.equal(await servedWith(backend, 'CP-BOTH', ['ocpp2.0.1', 'ocpp1.6']), 'ocpp1.6');
    assert.equal(await servedWith(backend, 'CP-NONE', []), '');
    assert.equal((await backend.api('GET', '/api/charge-points/CP-NONE')).body.ocppVersion, '1.6');
  });

  it("a charge point's own list from the API overrides the server's preference, and null restores it", async () => {
    const put = await backend.api('PUT', '/api/charge-points/CP-PINNED', { ocppVersions: ['2.0.1', '1.6'] });
    assert.equal(put.status, 201);
    assert.deepEqual(put.body.ocppVersions, ['2.0.1', '1.6']);
    assert.equal(await servedWith(backend, 'CP-PINNED', ['ocpp1.6', 'ocpp2.0.1']), 'ocpp2.0.1');
    assert.equal((await backend.api('GET', '/api/charge-points/CP-PINNED')).body.ocppVersion, '2.0.1');

    await backend.api('PUT', '/api/charge-points/CP-PINNED', { ocppVersions: ['2.0.1'] });
    assert.equal(await servedWith(backend, 'CP-PINNED', ['ocpp1.6']), 400, 'pinned to 2.0.1: 1.6 is refused');
    assert.equal(await servedWith(backend, 'CP-PINNED', []), 400, 'and so is no subprotocol (served as 1.6)');

    const reset = await backend.api('PUT', '/api/charge-points/CP-PINNED', { ocppVersions: null });
    assert.equal(reset.body.ocppVersions, null);
    assert.equal(await servedWith(backend, 'CP-PINNED', ['ocpp1.6', 'ocpp2.0.1']), 'ocpp1.6');
  });

  it('refuses a list the API cannot serve with 400', async () => {
    for (const ocppVersions of [['2.1'], [], ['1.6', '1.6'], [16]]) {
      const answer = await backend.api('PUT', '/api/charge-points/CP-BADLIST', { ocppVersions });
      assert.equal(answer.status, 400, JSON.stringify(ocppVersions));
    }
  });

  it('validates 2.0.1 calls against the 2.0.1 schemas: a 1.6-shaped BootNotification is refused, nothing stored', async () => {
    // Strict for this one (the default, tolerant, keeps the long vendorName: test/interop/corpus-replay.test.ts).
    await backend.api('PUT', '/api/charge-points/CP-201-STRICT', {});
    const strict = await backend.api('PUT', '/api/charge-points/CP-201-STRICT/ocpp-validation', { mode: 'strict' });
    assert.ok(strict.status < 300, JSON.stringify(strict.body));
    const charger = await RawCharger.connect(backend.ocppUrl, 'CP-201-STRICT', ['ocpp2.0.1']);
    const wrong = await charger.call('a', 'BootNotification', { chargePointVendor: 'V', chargePointModel: 'M' });
    assert.equal(wrong[0], 4);
    assert.equal(wrong[2], 'OccurrenceConstraintViolation', '2.0.1 spelling of the code');
    const tooLong = await charger.call('b', 'BootNotification', {
      reason: 'PowerUp',
      chargingStation: { vendorName: 'V'.repeat(51), model: 'M' },
    });
    assert.deepEqual(tooLong.slice(0, 3), [4, 'b', 'FormatViolation'], 'OCPP 2.0.1 keeps the name FormatViolation');
    const right = await charger.call('c', 'BootNotification', {
      reason: 'PowerUp',
      chargingStation: { vendorName: 'V', model: 'M' },
    });
    assert.equal(right[0], 3);
    assert.equal((right[2] as { status: string }).status, 'Accepted');
    const unknown = await charger.call('d', 'StartTransaction', { connectorId: 1 });
    assert.equal(unknown[0], 4, 'a 1.6-only action on a 2.0.1 connection is an error');
    charger.close();
  });

  it('applies the security profile before the version: a 2.0.1 charger of profile 1 needs its password', async () => {
    const put = await backend.api('PUT', '/api/charge-points/CS-PROFILE1', {
      password: 'a-long-password-1',
      securityProfile: 1,
    });
    assert.equal(put.status, 201);
    assert.equal(await upgradeStatus(backend.ocppUrl, 'CS-PROFILE1', { protocols: ['ocpp2.0.1'] }), 401);
    assert.equal(
      await upgradeStatus(backend.ocppUrl, 'CS-PROFILE1', { protocols: ['ocpp2.0.1'], password: 'a-long-password-1' }),
      101,
    );
  });

  it('counts connections by version', async () => {
    const a = await connectCharger(backend.ocppUrl, 'CP-GAUGE-201', { protocols: ['ocpp2.0.1'] });
    const b = await connectCharger(backend.ocppUrl, 'CP-GAUGE-16', { protocols: ['ocpp1.6'] });
    const metrics = { body: await backend.metrics() };
    assert.match(String(metrics.body), /ocpp_edge_charge_point_connections\{[^}]*ocpp_version="2\.0\.1"[^}]*\} 1\n/);
    assert.match(String(metrics.body), /ocpp_edge_charge_point_connections\{[^}]*ocpp_version="1\.6"[^}]*\} 1\n/);
    await a.close();
    await b.close();
    await waitFor('the gauge back to 0', async () =>
      /ocpp_edge_charge_point_connections\{[^}]*ocpp_version="2\.0\.1"[^}]*\} 0\n/.test(await backend.metrics()),
    );
  });
});

describe('--ocpp-versions', () => {
  it('2.0.1,1.6 prefers 2.0.1 when a charger offers both; one version alone refuses the other', async (t) => {
    const storage = (await createStorage('sqlite', t))!;
    const prefer201 = await startTestBackend({ database: storage.url, 'ocpp-versions': '2.0.1,1.6' });
    try {
      assert.equal(await servedWith(prefer201, 'CP-A', ['ocpp1.6', 'ocpp2.0.1']), 'ocpp2.0.1');
      assert.equal(await servedWith(prefer201, 'CP-B', ['ocpp1.6']), 'ocpp1.6');
    } finally {
      await prefer201.stop();
    }
    const only16 = await startTestBackend({ database: storage.url, 'ocpp-versions': '1.6' });
    try {
      assert.equal(await servedWith(only16, 'CP-C', ['ocpp2.0.1']), 400);
      assert.equal(await servedWith(only16, 'CP-C', ['ocpp2.0.1', 'ocpp1.6']), 'ocpp1.6');
    } finally {
      await only16.stop();
    }
    const only201 = await startTestBackend({ database: storage.url, 'ocpp-versions': 'ocpp2.0.1' });
    try {
      assert.equal(await servedWith(only201, 'CP-D', []), 400, 'no subprotocol means 1.6, which is not served');
      assert.equal(await servedWith(only201, 'CP-D', ['ocpp2.0.1']), 'ocpp2.0.1');
    } finally {
      await only201.stop();
      await storage.cleanup();
    }
  });

  it('an invalid list is a configuration error naming the key', () => {
    for (const value of ['2.1', '1.6,1.6', ',']) {
      assert.throws(
        () => loadConfig(backendOptions, { flags: { 'ocpp-versions': value }, section: 'backend', env: {} }),
        (error: unknown) => error instanceof ConfigError && error.key === '--ocpp-versions',
        value,
      );
    }
    const fromEnv = loadConfig(backendOptions, {
      flags: {},
      section: 'backend',
      env: { OCPP_EDGE_BACKEND_OCPP_VERSIONS: '2.0.1,1.6' },
    });
    assert.equal(fromEnv.ocppVersions, '2.0.1,1.6');
  });
});
