// Reservations against the simulator (ReserveNow, CancelReservation) and a charger over a real WebSocket
// (StartTransaction with the reservationId, another tag on the reserved connector, retransmitted starts, Faulted),
// expiry, events.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PendingEvent } from '../../../backend/events/types.js';
import { API_TOKEN, withBackend } from '../../support/backend-instance.js';
import { connectCharger } from '../../support/ocpp-chargers.js';
import { startSimulatedCharger } from '../../support/simulated-charger.js';
import { STORAGE_NAMES } from '../../support/storage-targets.js';
import { waitFor } from '../../support/waiting.js';

const FAST = { 'after-boot-delay': 0.05 };
const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

describe('reservations', () => {
  for (const dialect of STORAGE_NAMES) {
    it(`${dialect}: ReserveNow accepted and refused, CancelReservation, expiry, events`, async (t) => {
      await withBackend(t, dialect, FAST, async (backend) => {
        const events: PendingEvent[] = [];
        backend.handle.events.on('reservation.updated', (event) => void events.push(event));
        const sim = await startSimulatedCharger(backend.ocppUrl, 'CP-RES');
        try {
          const reserve = (body: Record<string, unknown>) =>
            backend.api('POST', '/api/reservations', { chargePointId: 'CP-RES', idTag: 'TAG-R', ...body });
          const accepted = await reserve({ connectorId: 1, expiryDate: inMinutes(30) });
          assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
          assert.equal(accepted.body.status, 'Accepted');
          assert.ok(sim.charger.reservations.has(accepted.body.id), 'the charger holds it under our reservationId');

          // The connector is taken: the charger answers Occupied, kept as such.
          const occupied = await reserve({ connectorId: 1, idTag: 'TAG-OTHER', expiryDate: inMinutes(30) });
          assert.equal(occupied.body.status, 'Occupied');
          // A connector the charger does not have: Rejected.
          assert.equal((await reserve({ connectorId: 7, expiryDate: inMinutes(30) })).body.status, 'Rejected');
          assert.equal((await reserve({ connectorId: 1, expiryDate: '2020-01-01T00:00:00Z' })).status, 400);

          const cancelled = await backend.api('DELETE', `/api/reservations/${accepted.body.id}`);
          assert.equal(cancelled.body.status, 'Cancelled');
          assert.equal(sim.charger.reservations.size, 0);
          assert.equal((await backend.api('DELETE', `/api/reservations/${accepted.body.id}`)).status, 409);

          // Expiry: ended by the central system once expiryDate passes.
          const soon = await reserve({ connectorId: 0, expiryDate: new Date(Date.now() + 1500).toISOString() });
          assert.equal(soon.body.status, 'Accepted');
          await waitFor('the reservation expired', async () => {
            const { body } = await backend.api('GET', `/api/reservations/${soon.body.id}`);
            return body.status === 'Expired';
          });
          const listed = await backend.api('GET', '/api/reservations?chargePointId=CP-RES&status=Expired');
          assert.deepEqual(
            listed.body.map((row: { id: number }) => row.id),
            [soon.body.id],
          );
          await waitFor('events', () => events.length >= 6);
          assert.deepEqual(
            events.map((event) => (event.data as { status: string }).status),
            ['Accepted', 'Occupied', 'Rejected', 'Cancelled', 'Accepted', 'Expired'],
          );
        } finally {
          await sim.stop();
        }
      });
    });
  }

  it('StartTransaction with the reservationId uses it; another tag on the reserved connector gets its own status, flagged; Faulted ends one', async (t) => {
    const tokens = [API_TOKEN, 'operator:operator-token-0123456789', 'viewer:viewer-token-0123456789'];
    await withBackend(t, 'sqlite', { ...FAST, 'api-token': tokens }, async (backend) => {
      for (const idTag of ['TAG-R', 'TAG-OTHER', 'TAG-CHILD'])
        await backend.api('PUT', `/api/id-tags/${idTag}`, idTag === 'TAG-CHILD' ? { parentIdTag: 'FLEET' } : {});
      const charger = await connectCharger(backend.ocppUrl, 'CP-RES2');
      charger.handle('ReserveNow', async () => ({ status: 'Accepted' }));
      await charger.call('BootNotification', { chargePointVendor: 'Acme', chargePointModel: 'Two' });
      try {
        const reserve = async (connectorId: number, idTag: string, parentIdTag?: string) =>
          (
            await backend.api('POST', '/api/reservations', {
              chargePointId: 'CP-RES2',
              connectorId,
              idTag,
              ...(parentIdTag ? { parentIdTag } : {}),
              expiryDate: inMinutes(30),
            })
          ).body;
        const start = (connectorId: number, idTag: string, reservationId?: number) =>
          charger.call('StartTransaction', {
            connectorId,
            idTag,
            meterStart: 0,
            timestamp: new Date().toISOString(),
            ...(reservationId ? { reservationId } : {}),
          }) as Promise<{ transactionId: number; idTagInfo: { status: string } }>;

        // Reserving is a command: operators may, viewers may not.
        const asRole = (token: string) =>
          backend.api(
            'POST',
            '/api/reservations',
            { chargePointId: 'CP-RES2', connectorId: 1, idTag: 'TAG-R', expiryDate: inMinutes(1) },
            token,
          );
        assert.equal((await asRole('viewer-token-0123456789')).status, 403);
        const byOperator = await asRole('operator-token-0123456789');
        assert.equal(byOperator.status, 201);
        assert.equal(
          (await backend.api('DELETE', `/api/reservations/${byOperator.body.id}`, undefined, 'viewer-token-0123456789'))
            .status,
          403,
        );
        charger.handle('CancelReservation', async () => ({ status: 'Accepted' }));
        assert.equal((await backend.api('DELETE', `/api/reservations/${byOperator.body.id}`)).status, 200);

        const flagged: PendingEvent[] = [];
        backend.handle.events.on('transaction.flagged', (event) => void flagged.push(event));
        const first = await reserve(1, 'TAG-R');
        // OCPP 1.6 §5.13: refusing other tags on a reserved connector is the charger's duty; §4.8 and §7.2: the
        // answer is the tag's validity, and TAG-OTHER is valid (Invalid would also land in the charger's cache).
        const otherStart = { connectorId: 1, idTag: 'TAG-OTHER', meterStart: 0, timestamp: inMinutes(-1) };
        const other = (await charger.call('StartTransaction', otherStart)) as Awaited<ReturnType<typeof start>>;
        assert.equal(other.idTagInfo.status, 'Accepted', 'TAG-OTHER is a valid tag');
        await waitFor('the reservedConnector flag', () =>
          flagged.some((event) => (event.data as { flag: string }).flag === 'reservedConnector'),
        );
        assert.equal((await backend.api('GET', `/api/reservations/${first.id}`)).body.status, 'Accepted');
        const otherAgain = await charger.call('StartTransaction', otherStart);
        assert.deepEqual(otherAgain, other, 'a retransmission gets the same answer');
        // An unknown tag on the reserved connector: Invalid, and Invalid again when retransmitted.
        const unknownStart = { connectorId: 1, idTag: 'TAG-NOBODY', meterStart: 0, timestamp: inMinutes(-1) };
        const unknown = await charger.call('StartTransaction', unknownStart);
        assert.equal((unknown as { idTagInfo: { status: string } }).idTagInfo.status, 'Invalid');
        assert.deepEqual(await charger.call('StartTransaction', unknownStart), unknown);

        const usedStart = {
          connectorId: 1,
          idTag: 'TAG-R',
          meterStart: 0,
          timestamp: new Date().toISOString(),
          reservationId: first.id,
        };
        const used = (await charger.call('StartTransaction', usedStart)) as Awaited<ReturnType<typeof start>>;
        assert.equal(used.idTagInfo.status, 'Accepted');
        const after = (await backend.api('GET', `/api/reservations/${first.id}`)).body;
        assert.equal(after.status, 'Used');
        assert.equal(after.transactionId, used.transactionId);
        // The reservation's own start retransmitted (its answer lost): the same transaction, the same status,
        // and the reservation still names the first transaction.
        await backend.api('PUT', '/api/id-tags/TAG-R', { status: 'Blocked' });
        assert.deepEqual(await charger.call('StartTransaction', usedStart), used);
        assert.equal(
          (await backend.api('GET', `/api/reservations/${first.id}`)).body.transactionId,
          used.transactionId,
        );
        await backend.api('PUT', '/api/id-tags/TAG-R', {});
        // Used: the connector is free for anyone again.
        assert.equal((await start(1, 'TAG-OTHER')).idTagInfo.status, 'Accepted');

        // A group reservation: a member of the parent group may use it.
        const group = await reserve(2, 'TAG-LEAD', 'FLEET');
        assert.equal((await start(2, 'TAG-CHILD')).idTagInfo.status, 'Accepted');
        assert.equal((await backend.api('GET', `/api/reservations/${group.id}`)).body.status, 'Used');

        // The connector goes Faulted: its reservation ends.
        const faulted = await reserve(2, 'TAG-R');
        await charger.call('StatusNotification', { connectorId: 2, status: 'Faulted', errorCode: 'GroundFailure' });
        await waitFor('the reservation ended by the fault', async () => {
          const { body } = await backend.api('GET', `/api/reservations/${faulted.id}`);
          return body.status === 'Faulted';
        });
        // Connector 0 Unavailable ends every reservation of the charger.
        const one = await reserve(1, 'TAG-R');
        const any = await reserve(0, 'TAG-R');
        await charger.call('StatusNotification', { connectorId: 0, status: 'Unavailable', errorCode: 'NoError' });
        await waitFor('both reservations ended', async () => {
          const statuses = await Promise.all(
            [one.id, any.id].map(async (id) => (await backend.api('GET', `/api/reservations/${id}`)).body.status),
          );
          return statuses.every((status) => status === 'Unavailable');
        });
      } finally {
        await charger.close();
      }
    });
  });
});
