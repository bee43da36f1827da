// An OCPP 2.0.1 charger's device model as its configuration inventory, against the simulator's 2.0.1 station over
// a real WebSocket: read at boot (GetBaseReport FullInventory → NotifyReport parts), read back after SetVariables,
// history and diff over time as for 1.6, the limits the features use read from it, a refresh that fails on record.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chargerLimits } from '../../../backend/ocpp/charger-limits.js';
import { withBackend } from '../../support/backend-instance.js';
import { connectCharger } from '../../support/ocpp-chargers.js';
import { startSimulatedCharger } from '../../support/simulated-charger.js';
import { STORAGE_NAMES } from '../../support/storage-targets.js';
import { waitFor } from '../../support/waiting.js';

const FAST = { 'after-boot-delay': 0.05 };
const HEARTBEAT = 'OCPPCommCtrlr/HeartbeatInterval#Actual';

interface Key {
  key: string;
  value: string | null;
  readonly: boolean;
}

describe('configuration inventory of OCPP 2.0.1 chargers', () => {
  it('reads the limits from the device model keys when there are no 1.6 keys', () => {
    const limits = chargerLimits([
      { key: 'LocalAuthListCtrlr/Entries#Actual', value: '3', readonly: true },
      { key: 'LocalAuthListCtrlr/Entries#MaxLimit', value: '500', readonly: true },
      { key: 'LocalAuthListCtrlr/Enabled#Actual', value: 'true', readonly: false },
      { key: 'LocalAuthListCtrlr/ItemsPerMessage#Actual', value: '50', readonly: true },
      { key: 'SmartChargingCtrlr/ProfileStackLevel#Actual', value: '4', readonly: true },
      { key: 'SmartChargingCtrlr/Entries[ChargingProfiles]#MaxLimit', value: '12', readonly: true },
      { key: 'SmartChargingCtrlr/RateUnit#Actual', value: 'A,W', readonly: true },
    ]);
    assert.equal(limits.localAuthListMaxLength, 500, 'the maxLimit, not the entries held now');
    assert.equal(limits.localAuthListEnabled, true);
    assert.equal(limits.sendLocalListMaxLength, 50);
    assert.equal(limits.chargeProfileMaxStackLevel, 4);
    assert.equal(limits.maxChargingProfilesInstalled, 12);
    assert.deepEqual(limits.chargingScheduleAllowedChargingRateUnit, ['A', 'W']);
    assert.equal(limits.chargingScheduleMaxPeriods, null);
  });

  for (const dialect of STORAGE_NAMES) {
    it(`${dialect}: read at boot from NotifyReport parts, read back after SetVariables, history and diff`, async (t) => {
      await withBackend(t, dialect, FAST, async (backend) => {
        const sim = await startSimulatedCharger(backend.ocppUrl, 'CP-DM', { ocppVersion: '2.0.1' });
        try {
          const first = await waitFor('the inventory after boot', async () => {
            const response = await backend.api('GET', '/api/charge-points/CP-DM/configuration');
            return response.body.refreshedAt && response.body;
          });
          const expected = sim.charger.deviceModel.report('FullInventory');
          assert.ok(sim.stats.action('NotifyReport').ok >= 2, 'the report came in parts');
          const byKey = new Map<string, Key>(first.keys.map((key: Key) => [key.key, key]));
          assert.deepEqual(
            { ...byKey.get(HEARTBEAT), reportedAt: undefined },
            // The interval of the accepted boot (the backend's --heartbeat-interval).
            { key: HEARTBEAT, value: '300', readonly: false, reportedAt: undefined },
          );
          assert.equal(byKey.get('EVSE@1/AvailabilityState#Actual')?.value, 'Available');
          assert.equal(byKey.get('LocalAuthListCtrlr/Entries#MaxLimit')?.value, '1000');
          assert.equal(byKey.get('SmartChargingCtrlr/ProfileStackLevel#Actual')?.readonly, true);
          const maxLimits = expected.filter((data) => data.variableCharacteristics.maxLimit !== undefined).length;
          assert.equal(first.keys.length, expected.length + maxLimits, 'one key per attribute, one per maxLimit');
          // The limits the features use, from the device model.
          assert.equal(first.limits.localAuthListMaxLength, 1000);
          assert.equal(first.limits.sendLocalListMaxLength, 20);
          assert.equal(first.limits.chargeProfileMaxStackLevel, 8);
          assert.equal(first.limits.maxChargingProfilesInstalled, 8);
          assert.equal(first.limits.getConfigurationMaxKeys, 20);

          const beforeChange = new Date().toISOString();
          await new Promise((resolve) => setTimeout(resolve, 20));
          const set = await backend.api('POST', '/api/charge-points/CP-DM/set-variables', {
            setVariableData: [
              {
                component: { name: 'OCPPCommCtrlr' },
                variable: { name: 'HeartbeatInterval' },
                attributeValue: '120',
              },
            ],
          });
          assert.equal(set.body.setVariableResult[0].attributeStatus, 'Accepted');
          await waitFor('the read-back value stored', async () => {
            const response = await backend.api('GET', '/api/charge-points/CP-DM/configuration');
            return response.body.keys.find((key: Key) => key.key === HEARTBEAT)?.value === '120';
          });
          const history = await backend.api(
            'GET',
            `/api/charge-points/CP-DM/configuration/history?key=${encodeURIComponent(HEARTBEAT)}`,
          );
          assert.deepEqual(
            history.body.map((change: Record<string, unknown>) => [change.change, change.newValue, change.source]),
            [
              ['added', '300', 'NotifyReport'],
              ['changed', '120', 'GetVariables'],
            ],
          );
          const diff = await backend.api(
            'GET',
            `/api/charge-points/CP-DM/configuration/diff?from=${encodeURIComponent(beforeChange)}`,
          );
          assert.deepEqual(diff.body.changes, [{ key: HEARTBEAT, change: 'changed', from: '300', to: '120' }]);

          // A refresh now finds nothing new.
          const refreshed = await backend.api('POST', '/api/charge-points/CP-DM/configuration/refresh');
          assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
          const all = await backend.api('GET', '/api/charge-points/CP-DM/configuration/history');
          assert.equal(all.body.length, first.keys.length + 1);
        } finally {
          await sim.stop();
        }
      });
    });
  }

  it('a 2.0.1 charger with an empty device model (EmptyResultSet): refreshed, with no keys', async (t) => {
    await withBackend(t, 'sqlite', FAST, async (backend) => {
      const charger = await connectCharger(backend.ocppUrl, 'CP-EMPTY', { protocols: ['ocpp2.0.1'] });
      charger.handle('GetBaseReport', async () => ({ status: 'EmptyResultSet' }));
      try {
        await charger.call('BootNotification', {
          reason: 'PowerUp',
          chargingStation: { model: 'raw', vendorName: 'test' },
        });
        const after = await waitFor('the refresh on record', async () => {
          const response = await backend.api('GET', '/api/charge-points/CP-EMPTY/configuration');
          return response.body.refreshedAt && response.body;
        });
        assert.deepEqual(after.keys, []);
        assert.equal(after.lastError, null);
      } finally {
        await charger.close();
      }
    });
  });

  it('a 2.0.1 charger refusing GetBaseReport: the refresh fails with the status, and it is on record', async (t) => {
    await withBackend(t, 'sqlite', FAST, async (backend) => {
      const charger = await connectCharger(backend.ocppUrl, 'CP-NOREPORT', { protocols: ['ocpp2.0.1'] });
      charger.handle('GetBaseReport', async () => ({ status: 'NotSupported' }));
      try {
        await charger.call('BootNotification', {
          reason: 'PowerUp',
          chargingStation: { model: 'raw', vendorName: 'test' },
        });
        const after = await waitFor('the failed refresh on record', async () => {
          const response = await backend.api('GET', '/api/charge-points/CP-NOREPORT/configuration');
          return response.body.lastError && response.body;
        });
        assert.match(after.lastError, /GetBaseReport FullInventory answered NotSupported/);
        assert.equal(after.refreshedAt, null);
      } finally {
        await charger.close();
      }
    });
  });
});
