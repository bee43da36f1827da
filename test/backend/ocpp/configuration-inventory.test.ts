// The configuration inventory against the simulator over a real WebSocket: read at boot, read back after a
// ChangeConfiguration, history and diff over time, limits parsed, failures (offline, CALLERROR) recorded.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRPCError } from 'ocpp-rpc';
import { chargerLimits } from '../../../backend/ocpp/charger-limits.js';
import { withBackend } from '../../support/backend-instance.js';
import { connectCharger } from '../../support/ocpp-chargers.js';
import { startSimulatedCharger } from '../../support/simulated-charger.js';
import { STORAGE_NAMES } from '../../support/storage-targets.js';
import { waitFor } from '../../support/waiting.js';

const FAST = { 'after-boot-delay': 0.05 };

describe('configuration inventory', () => {
  it('parses the limits the features use, tolerating odd spellings', () => {
    const limits = chargerLimits([
      { key: 'SupportedFeatureProfiles', value: 'Core, LocalAuthListManagement;SmartCharging', readonly: true },
      { key: 'sendlocallistmaxlength', value: ' 20 ', readonly: true },
      { key: 'LocalAuthListEnabled', value: 'TRUE', readonly: false },
      { key: 'ChargeProfileMaxStackLevel', value: 'ten', readonly: true },
    ]);
    assert.deepEqual(limits.supportedFeatureProfiles, ['Core', 'LocalAuthListManagement', 'SmartCharging']);
    assert.equal(limits.sendLocalListMaxLength, 20);
    assert.equal(limits.localAuthListEnabled, true);
    assert.equal(limits.chargeProfileMaxStackLevel, null, 'not a number: unknown, not 0');
    assert.equal(limits.numberOfConnectors, null);
  });

  for (const dialect of STORAGE_NAMES) {
    it(`${dialect}: read at boot, read back after ChangeConfiguration, history and diff`, async (t) => {
      await withBackend(t, dialect, FAST, async (backend) => {
        const sim = await startSimulatedCharger(backend.ocppUrl, 'CP-CONF');
        try {
          const first = await waitFor('the inventory after boot', async () => {
            const response = await backend.api('GET', '/api/charge-points/CP-CONF/configuration');
            return response.body.refreshedAt && response.body;
          });
          const byKey = new Map<string, { value: string }>(
            first.keys.map((key: { key: string; value: string }) => [key.key, key]),
          );
          assert.deepEqual(byKey.get('NumberOfConnectors'), {
            key: 'NumberOfConnectors',
            value: '1',
            readonly: true,
            reportedAt: first.refreshedAt,
          });
          assert.equal(byKey.get('MeterValueSampleInterval')?.value, '3600');
          assert.equal(first.limits.numberOfConnectors, 1);
          assert.ok(first.limits.supportedFeatureProfiles.includes('Core'));
          const beforeChange = new Date().toISOString();
          await new Promise((resolve) => setTimeout(resolve, 20));

          // Through the pass-through command: the charger accepts, the inventory reads the key back.
          const changed = await backend.api('POST', '/api/charge-points/CP-CONF/configuration', {
            operation: 'change',
            key: 'MeterValueSampleInterval',
            value: '30',
          });
          assert.deepEqual(changed.body, { status: 'Accepted' });
          await waitFor('the new value stored', async () => {
            const response = await backend.api('GET', '/api/charge-points/CP-CONF/configuration');
            return (
              response.body.keys.find((key: { key: string }) => key.key === 'MeterValueSampleInterval').value === '30'
            );
          });
          // A read-only key: Rejected by the charger, nothing changes.
          const rejected = await backend.api('POST', '/api/charge-points/CP-CONF/configuration', {
            operation: 'change',
            key: 'NumberOfConnectors',
            value: '2',
          });
          assert.deepEqual(rejected.body, { status: 'Rejected' });

          const history = await backend.api(
            'GET',
            '/api/charge-points/CP-CONF/configuration/history?key=MeterValueSampleInterval',
          );
          assert.deepEqual(
            history.body.map((change: Record<string, unknown>) => [change.change, change.oldValue, change.newValue]),
            [
              ['added', null, '3600'],
              ['changed', '3600', '30'],
            ],
          );
          const diff = await backend.api(
            'GET',
            `/api/charge-points/CP-CONF/configuration/diff?from=${encodeURIComponent(beforeChange)}`,
          );
          assert.deepEqual(diff.body.changes, [
            { key: 'MeterValueSampleInterval', change: 'changed', from: '3600', to: '30' },
          ]);

          // A refresh now finds nothing new: no history rows are added.
          const refreshed = await backend.api('POST', '/api/charge-points/CP-CONF/configuration/refresh');
          assert.equal(refreshed.status, 200);
          const all = await backend.api('GET', '/api/charge-points/CP-CONF/configuration/history');
          assert.equal(all.body.length, first.keys.length + 1, JSON.stringify(all.body.slice(first.keys.length)));
        } finally {
          await sim.stop();
        }
        // Offline: 409, and the failure is on record.
        const offline = await backend.api('POST', '/api/charge-points/CP-CONF/configuration/refresh');
        assert.equal(offline.status, 409);
        const after = await backend.api('GET', '/api/charge-points/CP-CONF/configuration');
        assert.match(after.body.lastError, /not connected/);
        assert.ok(after.body.keys.length > 0, 'the last known keys are kept');
      });
    });
  }

  it('a charger answering GetConfiguration with a CALLERROR: 502, error kept; unknown charger 404', async (t) => {
    await withBackend(t, 'sqlite', FAST, async (backend) => {
      const charger = await connectCharger(backend.ocppUrl, 'CP-NOCONF');
      charger.handle('GetConfiguration', async () => {
        throw createRPCError('NotSupported', 'no configuration here');
      });
      try {
        const response = await backend.api('POST', '/api/charge-points/CP-NOCONF/configuration/refresh');
        assert.equal(response.status, 502);
        assert.equal(response.body.code, 'NotSupported');
        const view = await backend.api('GET', '/api/charge-points/CP-NOCONF/configuration');
        assert.match(view.body.lastError, /^NotSupported/);
        assert.equal(view.body.refreshedAt, null);
        assert.equal((await backend.api('GET', '/api/charge-points/NOPE/configuration')).status, 404);
      } finally {
        await charger.close();
      }
    });
  });

  for (const dialect of STORAGE_NAMES)
    it(`${dialect}: a charger of thousands of keys, one of them twice: stored once, the last entry winning`, async (t) => {
      await withBackend(t, dialect, FAST, async (backend) => {
        const charger = await connectCharger(backend.ocppUrl, 'CP-MANYKEYS');
        const keyName = (index: number) => `K${String(index).padStart(5, '0')}`;
        let answer: Array<{ key: string; readonly: boolean; value?: string }> = [];
        let unknownKey: string[] = [];
        charger.handle('GetConfiguration', async () => ({ configurationKey: answer, unknownKey }));
        try {
          // More keys than one multi-row statement takes (500), and a key listed twice with two values; short names
          // keep the answer under the 64 KiB frame limit.
          answer = Array.from({ length: 1_234 }, (_, index) => ({ key: keyName(index), readonly: false, value: 'a' }));
          answer.push({ key: keyName(7), readonly: true, value: 'twice' });
          assert.equal((await backend.api('POST', '/api/charge-points/CP-MANYKEYS/configuration/refresh')).status, 200);
          const first = (await backend.api('GET', '/api/charge-points/CP-MANYKEYS/configuration')).body;
          assert.equal(first.keys.length, 1_234);
          assert.deepEqual(
            first.keys.find((key: { key: string }) => key.key === keyName(7)),
            { key: keyName(7), value: 'twice', readonly: true, reportedAt: first.refreshedAt },
          );
          const history = async () =>
            (await backend.api('GET', '/api/charge-points/CP-MANYKEYS/configuration/history?limit=10000'))
              .body as Array<{
              key: string;
              change: string;
              oldValue: string | null;
              newValue: string | null;
            }>;
          assert.equal((await history()).length, 1_234, 'one "added" a key');

          // The next refresh: the first 600 keys are gone, 600 others changed, the last 34 as they were.
          answer = Array.from({ length: 634 }, (_, offset) => {
            const index = 600 + offset;
            return { key: keyName(index), readonly: false, value: index < 1_200 ? 'b' : 'a' };
          });
          assert.equal((await backend.api('POST', '/api/charge-points/CP-MANYKEYS/configuration/refresh')).status, 200);
          const second = (await backend.api('GET', '/api/charge-points/CP-MANYKEYS/configuration')).body;
          assert.equal(second.keys.length, 634);
          assert.ok(second.keys.every((key: { reportedAt: string }) => key.reportedAt === second.refreshedAt));
          const changes = (await history()).slice(1_234);
          const count = (kind: string) => changes.filter((change) => change.change === kind).length;
          assert.deepEqual([count('removed'), count('changed'), count('added')], [600, 600, 0]);
          assert.ok(changes.some((change) => change.key === keyName(7) && change.oldValue === 'twice'));

          // A partial answer (keys asked for) naming a key both as reported and as unknown keeps it; one named only
          // as unknown is removed.
          answer = [{ key: keyName(700), readonly: false, value: 'c' }];
          unknownKey = [keyName(700), keyName(701)];
          const partial = await backend.api('POST', '/api/charge-points/CP-MANYKEYS/configuration', {
            operation: 'get',
            keys: [keyName(700), keyName(701)],
          });
          assert.equal(partial.status, 200);
          const third = await waitFor('the partial answer stored', async () => {
            const body = (await backend.api('GET', '/api/charge-points/CP-MANYKEYS/configuration')).body;
            return body.keys.length === 633 ? body : undefined;
          });
          const keys = new Map(third.keys.map((key: { key: string; value: string }) => [key.key, key.value]));
          assert.equal(keys.get(keyName(700)), 'c');
          assert.equal(keys.has(keyName(701)), false);
        } finally {
          await charger.close();
        }
      });
    });
});
