// Charging profiles against the simulator over a real WebSocket: set (checked against the charger's configuration
// inventory, stored with its answer), the charger's composite schedule and its draw under a TxProfile, clear,
// re-sent after a reboot without the TxProfile of the ended transaction, and profiles sent by hand recorded too.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { API_TOKEN, type TestBackend, withBackend } from '../../support/backend-instance.js';
import { startSimulatedCharger } from '../../support/simulated-charger.js';
import { STORAGE_NAMES } from '../../support/storage-targets.js';
import { waitFor } from '../../support/waiting.js';

const FAST = { 'after-boot-delay': 0.05 };

const txDefault = (limit: number, stackLevel = 0) => ({
  stackLevel,
  chargingProfilePurpose: 'TxDefaultProfile',
  chargingProfileKind: 'Relative',
  chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit }] },
});

async function inventoried(backend: TestBackend, id: string): Promise<void> {
  await waitFor(`${id}'s configuration read`, async () => {
    const { body } = await backend.api('GET', `/api/charge-points/${id}/configuration`);
    return body?.refreshedAt;
  });
}

describe('charging profiles', () => {
  for (const dialect of STORAGE_NAMES) {
    it(`${dialect}: set, composite schedule, draw under a TxProfile, clear, re-sent after a reboot`, async (t) => {
      await withBackend(t, dialect, FAST, async (backend) => {
        const sim = await startSimulatedCharger(backend.ocppUrl, 'CP-SC', { meterIntervalSec: 1, evDemandA: 20 });
        try {
          await inventoried(backend, 'CP-SC');
          const base = '/api/charge-points/CP-SC';
          const set = (connectorId: number, chargingProfile: unknown) =>
            backend.api('POST', `${base}/charging-profiles`, { connectorId, chargingProfile });

          const accepted = await set(0, txDefault(16));
          assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
          assert.equal(accepted.body.status, 'Accepted');
          assert.equal(accepted.body.profile.chargingProfileId, 1, 'the next free id given');
          assert.equal(sim.charger.smartCharging.profiles.length, 1);
          // Refused before sending: above the charger's ChargeProfileMaxStackLevel (8).
          const tooHigh = await set(0, txDefault(16, 9));
          assert.equal(tooHigh.status, 400);
          assert.match(tooHigh.body.message, /ChargeProfileMaxStackLevel 8/);
          // The charger's own refusal: a TxProfile with no transaction running. Stored with its answer.
          const noTx = await set(1, { ...txDefault(10), chargingProfilePurpose: 'TxProfile', chargingProfileId: 7 });
          assert.equal(noTx.status, 201);
          assert.equal(noTx.body.status, 'Rejected');

          const composite = await backend.api('GET', `${base}/composite-schedule?connectorId=1&duration=600&unit=A`);
          assert.equal(composite.status, 200, JSON.stringify(composite.body));
          assert.equal(composite.body.status, 'Accepted');
          assert.equal(composite.body.chargingSchedule.chargingSchedulePeriod[0].limit, 16);

          // A session: the EV wants 20 A, the default allows 16; then a TxProfile of 10 A for its transaction.
          await backend.api('PUT', '/api/id-tags/TAG-SC', {});
          assert.equal(
            (await backend.api('POST', `${base}/remote-start`, { idTag: 'TAG-SC' })).body.status,
            'Accepted',
          );
          const transactionId = await waitFor('the transaction', async () => {
            const { body } = await backend.api('GET', '/api/transactions?chargePointId=CP-SC&active=true');
            return body[0]?.id as number | undefined;
          });
          await waitFor('drawing 16 A', () => sim.charger.currentDraw === 16);
          const txProfile = await set(1, {
            ...txDefault(10, 1),
            chargingProfilePurpose: 'TxProfile',
            transactionId,
          });
          assert.equal(txProfile.body.status, 'Accepted');
          await waitFor('MeterValues reporting 10 A', async () => {
            const { body } = await backend.api('GET', `/api/transactions/${transactionId}`);
            const currents = body.meterValues.filter(
              (value: { measurand?: string }) => value.measurand === 'Current.Import',
            );
            return currents.at(-1)?.value === '10';
          });
          const power = await backend.api('GET', `/api/transactions/${transactionId}`);
          assert.ok(
            power.body.meterValues.some(
              (value: { measurand?: string; value: string }) =>
                value.measurand === 'Power.Active.Import' && value.value === '6900',
            ),
            '10 A × 3 phases × 230 V',
          );
          const withTx = await backend.api('GET', `${base}/composite-schedule?connectorId=1&duration=60`);
          assert.equal(withTx.body.chargingSchedule.chargingSchedulePeriod[0].limit, 10);

          const listed = await backend.api('GET', `${base}/charging-profiles?status=Accepted`);
          assert.deepEqual(
            listed.body.map(
              (row: { profile: { chargingProfilePurpose: string } }) => row.profile.chargingProfilePurpose,
            ),
            ['TxDefaultProfile', 'TxProfile'],
          );

          // The charger loses its volatile profiles and reboots (Hard reset ends the session): the default comes
          // back after the boot, the TxProfile of the ended transaction does not.
          sim.charger.smartCharging.clear({});
          assert.equal((await backend.api('POST', `${base}/reset`, { type: 'Hard' })).body.status, 'Accepted');
          await sim.booted(2);
          await waitFor('the default profile re-sent', () => sim.charger.smartCharging.profiles.length === 1);
          assert.equal(sim.charger.smartCharging.profiles[0]?.profile.chargingProfilePurpose, 'TxDefaultProfile');
          const afterBoot = await backend.api('GET', `${base}/charging-profiles?status=Accepted`);
          assert.equal(afterBoot.body.length, 1, JSON.stringify(afterBoot.body));

          const cleared = await backend.api('DELETE', `${base}/charging-profiles?purpose=TxDefaultProfile`);
          assert.deepEqual(cleared.body, { status: 'Accepted', removed: 1 });
          assert.equal(sim.charger.smartCharging.profiles.length, 0);
          const again = await backend.api('DELETE', `${base}/charging-profiles?profileId=1`);
          assert.equal(again.body.status, 'Unknown');
        } finally {
          await sim.stop();
        }
      });
    });
  }

  it('a charger without Smart Charging is not sent profiles; one set by hand is recorded; viewers cannot set', async (t) => {
    const tokens = [API_TOKEN, 'viewer:viewer-token-0123456789'];
    await withBackend(t, 'sqlite', { ...FAST, 'api-token': tokens }, async (backend) => {
      const plain = await startSimulatedCharger(backend.ocppUrl, 'CP-PLAIN', {}, (charger) =>
        charger.configuration.set('SupportedFeatureProfiles', 'Core,RemoteTrigger'),
      );
      const smart = await startSimulatedCharger(backend.ocppUrl, 'CP-SMART');
      try {
        await inventoried(backend, 'CP-PLAIN');
        const refused = await backend.api('POST', '/api/charge-points/CP-PLAIN/charging-profiles', {
          connectorId: 0,
          chargingProfile: txDefault(16),
        });
        assert.equal(refused.status, 409);
        assert.equal(refused.body.error, 'NotSupported');
        assert.equal(plain.charger.smartCharging.profiles.length, 0, 'nothing was sent');

        const byViewer = await backend.api(
          'POST',
          '/api/charge-points/CP-SMART/charging-profiles',
          { connectorId: 0, chargingProfile: txDefault(16) },
          'viewer-token-0123456789',
        );
        assert.equal(byViewer.status, 403);

        const byHand = await backend.api('POST', '/api/charge-points/CP-SMART/set-charging-profile', {
          connectorId: 0,
          csChargingProfiles: { ...txDefault(12), chargingProfileId: 40 },
        });
        assert.equal(byHand.body.status, 'Accepted', JSON.stringify(byHand.body));
        const recorded = await waitFor('the hand-sent profile recorded', async () => {
          const { body } = await backend.api('GET', '/api/charge-points/CP-SMART/charging-profiles');
          return body.length === 1 ? body[0] : undefined;
        });
        assert.equal(recorded.source, 'call');
        assert.equal(recorded.profile.chargingProfileId, 40);
        await backend.api('POST', '/api/charge-points/CP-SMART/clear-charging-profile', { id: 40 });
        await waitFor('the hand-cleared profile removed', async () => {
          const { body } = await backend.api('GET', '/api/charge-points/CP-SMART/charging-profiles');
          return body.length === 0;
        });
        assert.equal((await backend.api('GET', '/api/charge-points/CP-NONE/charging-profiles')).status, 404);
      } finally {
        await plain.stop();
        await smart.stop();
      }
    });
  });
});
