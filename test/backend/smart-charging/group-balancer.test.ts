// A charging group against simulated chargers over real WebSockets: the limit divided as sessions start and stop,
// the newest paused when the minimum does not fit, a session drawing less giving its share away, the event and the
// metrics, and a never-zero model paused at its pause limit instead of 0.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PendingEvent } from '../../../backend/events/types.js';
import type { TestBackend } from '../../support/backend-instance.js';
import { withBackend } from '../../support/backend-instance.js';
import { startSimulatedCharger, type TestSimulatedCharger } from '../../support/simulated-charger.js';
import { waitFor } from '../../support/waiting.js';

const FAST = { 'after-boot-delay': 0.05, 'group-rebalance-interval': 0.2 };

async function startSession(backend: TestBackend, sim: TestSimulatedCharger): Promise<number> {
  const id = sim.charger.identity;
  // One tag per charger: a tag already charging elsewhere is answered ConcurrentTx.
  await backend.api('PUT', `/api/id-tags/T-${id}`, {});
  const answer = await backend.api('POST', `/api/charge-points/${id}/remote-start`, { idTag: `T-${id}` });
  assert.equal(answer.body.status, 'Accepted');
  return waitFor(`${id}'s transaction`, async () => {
    const { body } = await backend.api('GET', `/api/transactions?chargePointId=${id}&active=true`);
    return body[0]?.id as number | undefined;
  });
}

async function chargers(backend: TestBackend, count: number, prefix: string): Promise<TestSimulatedCharger[]> {
  return Promise.all(
    Array.from({ length: count }, (_, index) =>
      startSimulatedCharger(backend.ocppUrl, `${prefix}-${index + 1}`, { meterIntervalSec: 1 }),
    ),
  );
}

async function group(backend: TestBackend, id: string, limit: number, members: TestSimulatedCharger[]) {
  assert.equal((await backend.api('POST', '/api/charging-groups', { id, limit, unit: 'A' })).status, 201);
  for (const sim of members)
    assert.equal((await backend.api('PUT', `/api/charging-groups/${id}/members/${sim.charger.identity}`)).status, 200);
  // Every member holds the group's default: a session starts with nothing until it is given a share.
  await waitFor('the group default on every member', () =>
    members.every((sim) =>
      sim.charger.smartCharging.profiles.some(
        (held) => held.profile.chargingProfilePurpose === 'TxDefaultProfile' && held.profile.chargingProfileId >= 1e6,
      ),
    ),
  );
}

describe('charging groups', () => {
  it('divides 15 A over three sessions: the newest paused, re-shared on stop and on lower consumption', async (t) => {
    await withBackend(t, 'sqlite', FAST, async (backend) => {
      const events: PendingEvent[] = [];
      backend.handle.events.on('group.limit.changed', (event) => void events.push(event));
      const sims = await chargers(backend, 3, 'CP-G');
      try {
        await group(backend, 'site', 15, sims);
        const [a, b, c] = sims as [TestSimulatedCharger, TestSimulatedCharger, TestSimulatedCharger];
        const limit = (sim: TestSimulatedCharger) => sim.charger.currentLimitA();
        await startSession(backend, a);
        await waitFor('A alone gets 15 A', () => limit(a) === 15);
        await startSession(backend, b);
        await waitFor('A and B share: 7.5 A each', () => limit(a) === 7.5 && limit(b) === 7.5);
        const third = await startSession(backend, c);
        // 3 × 6 A does not fit in 15 A: the newest waits, suspended by the charger.
        await waitFor('C paused', () => sim(c).connectorStatus() === 'SuspendedEVSE');
        assert.equal(limit(c), 0);
        assert.equal(c.charger.currentDraw, 0);
        const view = await backend.api('GET', '/api/charging-groups/site');
        assert.deepEqual(
          view.body.sessions.map((session: { limit: number | null }) => session.limit),
          [7.5, 7.5, null],
        );
        assert.equal(view.body.sessions[2].transactionId, third);

        // A stops: C gets its share.
        await backend.api('POST', `/api/charge-points/${a.charger.identity}/remote-stop`, {
          transactionId: (await backend.api('GET', `/api/transactions?chargePointId=${a.charger.identity}&active=true`))
            .body[0].id,
        });
        await waitFor('B and C share', () => limit(b) === 7.5 && limit(c) === 7.5);
        await waitFor('C charging again', () => sim(c).connectorStatus() === 'Charging');

        // B's EV wants only 3 A: held at the minimum (6 A), and C gets the rest.
        b.charger.setEvDemand(3);
        await waitFor('C given what B leaves', () => limit(b) === 6 && limit(c) === 9, { timeoutMs: 8000 });

        // The limit raised through the API: divided again at once, and announced.
        const raised = await backend.api('PUT', '/api/charging-groups/site', { limit: 30 });
        assert.equal(raised.status, 200);
        await waitFor('C given the raise', () => limit(c) >= 20);
        await waitFor('events', () => events.some((event) => (event.data as { limit: number }).limit === 30));
        const metrics = await backend.metrics();
        assert.match(metrics, /ocpp_edge_group_limit\{group="site",unit="A"[^}]*\} 30/);
        assert.match(metrics, /ocpp_edge_group_sessions\{group="site",state="charging"[^}]*\} 2/);
        assert.match(metrics, /ocpp_edge_group_rebalances_total\{group="site"[^}]*\} [1-9]/);
        assert.match(metrics, /ocpp_edge_group_leader\{group="site"[^}]*\} 1/);

        // Out of the group: its profiles are cleared from the charger.
        assert.equal(
          (await backend.api('DELETE', `/api/charging-groups/site/members/${c.charger.identity}`)).status,
          204,
        );
        await waitFor('C unlimited', () => limit(c) === 32);
        assert.equal((await backend.api('DELETE', '/api/charging-groups/site')).status, 204);
        await waitFor('B unlimited', () => limit(b) === 32);
      } finally {
        await Promise.all(sims.map((one) => one.stop()));
      }
    });
  });

  it('an OCPP 2.0.1 charger in the group gets its share as a 2.0.1 TxProfile', async (t) => {
    await withBackend(t, 'sqlite', FAST, async (backend) => {
      const old = await startSimulatedCharger(backend.ocppUrl, 'CP-MIX-16', { meterIntervalSec: 1 });
      const station = await startSimulatedCharger(backend.ocppUrl, 'CP-MIX-201', { ocppVersion: '2.0.1' });
      try {
        assert.equal(
          (await backend.api('POST', '/api/charging-groups', { id: 'mixed', limit: 20, unit: 'A' })).status,
          201,
        );
        for (const id of ['CP-MIX-16', 'CP-MIX-201'])
          assert.equal((await backend.api('PUT', `/api/charging-groups/mixed/members/${id}`)).status, 200);
        const held201 = (purpose: string) =>
          station.charger.chargingProfiles.list().find((held) => held.profile.chargingProfilePurpose === purpose);
        await waitFor(
          "the 2.0.1 station holds the group's default on EVSE 0",
          () => held201('TxDefaultProfile')?.evseId === 0,
        );
        await startSession(backend, old);
        await startSession(backend, station);
        // Its share may come in steps (lowered limits are confirmed before a raise): wait for the settled one.
        const firstLimit = (held: ReturnType<typeof held201>) =>
          (
            held?.profile.chargingSchedule as Array<{ chargingSchedulePeriod: Array<{ limit: number }> }> | undefined
          )?.[0]?.chargingSchedulePeriod[0]?.limit;
        const txProfile = await waitFor('its TxProfile of 10 A', () => {
          const held = held201('TxProfile');
          return firstLimit(held) === 10 ? held : undefined;
        });
        assert.equal(txProfile.evseId, 1);
        assert.equal(
          txProfile.profile.transactionId,
          station.charger.transactionId(),
          "the charger's own transaction id",
        );
        await waitFor('the 1.6 charger has the other half', () => old.charger.currentLimitA() === 10);
        // The 2.0.1 station follows its share as the 1.6 one does: it draws 10 A and reports it.
        await waitFor('the 2.0.1 station draws its 10 A', () => sim(station).currentDraw === 10);
        assert.equal(station.charger.currentLimitA(), 10);
        assert.equal(sim(station).limitHistory.at(-1)?.limitA, 10);
        const composite = await backend.api(
          'GET',
          '/api/charge-points/CP-MIX-201/composite-schedule?connectorId=1&duration=60',
        );
        assert.equal(composite.status, 200, JSON.stringify(composite.body));
        assert.equal(JSON.stringify(composite.body).includes('"limit":10'), true, JSON.stringify(composite.body));
        // Its SmartChargingCtrlr is read into its limits: a stack level above ProfileStackLevel is refused.
        await waitFor('its ProfileStackLevel read', async () => {
          const { body } = await backend.api('GET', '/api/charge-points/CP-MIX-201/configuration');
          return body.limits?.chargeProfileMaxStackLevel === 8;
        });
        const tooHigh = await backend.api('POST', '/api/charge-points/CP-MIX-201/charging-profiles', {
          connectorId: 0,
          chargingProfile: {
            chargingProfileId: 90,
            stackLevel: 9,
            chargingProfilePurpose: 'TxDefaultProfile',
            chargingProfileKind: 'Absolute',
            chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }] },
          },
        });
        assert.equal(tooHigh.status, 400, JSON.stringify(tooHigh.body));
        assert.match(tooHigh.body.message, /ChargeProfileMaxStackLevel 8/);
      } finally {
        await old.stop();
        await station.stop();
      }
    });
  });

  it('a never-zero model is paused at its pause limit, never sent 0', async (t) => {
    const flags = { ...FAST, 'never-zero-model': ['SIMULATOR'], 'group-pause-current': 1 };
    await withBackend(t, 'sqlite', flags, async (backend) => {
      const sims = await chargers(backend, 2, 'CP-NZ');
      try {
        await group(backend, 'nz', 8, sims);
        const [a, b] = sims as [TestSimulatedCharger, TestSimulatedCharger];
        await startSession(backend, a);
        await startSession(backend, b);
        // 1 A reserved for each, 6 A for the oldest, the 1 A left to it too: 7 A and 1 A.
        await waitFor(
          'A charging at 7 A, B held at 1 A',
          () => a.charger.currentLimitA() === 7 && b.charger.currentLimitA() === 1,
        );
        assert.equal(sim(b).connectorStatus(), 'SuspendedEVSE', 'below 6 A the EV suspends');
        const limits = sims.flatMap((one) =>
          one.charger.smartCharging.profiles.map(
            (held) => held.profile.chargingSchedule.chargingSchedulePeriod[0]?.limit,
          ),
        );
        assert.ok(
          limits.every((value) => value !== 0),
          `no 0 limit sent: ${limits}`,
        );
      } finally {
        await Promise.all(sims.map((one) => one.stop()));
      }
    });
  });
});

function sim(one: TestSimulatedCharger) {
  return one.charger;
}
