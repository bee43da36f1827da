// Issue 15 §2: transactions that survive retransmission and odd meters, over real WebSockets on both databases.
// A retransmitted StartTransaction gets the same transactionId and the same status as its first answer (also after
// a restart and from a second instance on the same database); ConcurrentTx for an id tag in a running transaction; suspect data flagged, never refused;
// id tags compared without case.

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { RawCharger } from '../support/ocpp-chargers.js';
import { startTestBackend, type TestBackend } from '../support/backend-instance.js';
import { createStorage, STORAGE_NAMES, type StorageTarget } from '../support/storage-targets.js';

const T0 = '2025-06-01T10:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString();

async function started(charger: RawCharger, id: string, payload: Record<string, unknown>) {
  const answer = await charger.call(id, 'StartTransaction', payload);
  assert.equal(answer[0], 3, JSON.stringify(answer));
  return answer[2] as { transactionId: number; idTagInfo: { status: string } };
}

for (const dialect of STORAGE_NAMES) {
  describe(`transactions (${dialect})`, () => {
    async function withStorage(
      t: TestContext,
      body: (storage: StorageTarget, backend: TestBackend) => Promise<void>,
    ): Promise<void> {
      const storage = await createStorage(dialect, t);
      if (!storage) return;
      const backend = await startTestBackend({ database: storage.url });
      try {
        await body(storage, backend);
      } finally {
        await backend.stop();
        await storage.cleanup();
      }
    }

    it('answers a retransmitted StartTransaction with the same transactionId, also after a restart', async (t) => {
      await withStorage(t, async (storage, backend) => {
        await backend.api('PUT', '/api/id-tags/GPRS-TAG', { status: 'Accepted' });
        const start = { connectorId: 1, idTag: 'GPRS-TAG', meterStart: 1000, timestamp: at(0) };
        const charger = await RawCharger.connect(backend.ocppUrl, 'CP-GPRS', ['ocpp1.6']);
        const first = await started(charger, 's1', start);
        const again = await started(charger, 's2', { ...start, idTag: 'gprs-tag' });
        assert.equal(again.transactionId, first.transactionId, 'same start, id tag in another case');
        assert.equal(again.idTagInfo.status, 'Accepted');
        charger.close();
        await backend.stop();

        const restarted = await startTestBackend({ database: storage.url });
        try {
          const back = await RawCharger.connect(restarted.ocppUrl, 'CP-GPRS', ['ocpp1.6']);
          assert.equal((await started(back, 's3', start)).transactionId, first.transactionId, 'after a restart');
          const other = await started(back, 's4', { ...start, timestamp: at(5), meterStart: 1200 });
          assert.notEqual(other.transactionId, first.transactionId, 'a new start is a new transaction');
          const list = await restarted.api('GET', '/api/transactions?chargePointId=CP-GPRS');
          assert.equal(list.body.length, 2);
          back.close();
        } finally {
          await restarted.stop();
        }
      });
    });

    it('answers ConcurrentTx for an id tag already charging elsewhere, in any case', async (t) => {
      await withStorage(t, async (_storage, backend) => {
        await backend.api('PUT', '/api/id-tags/Fleet-7', { status: 'Accepted' });
        const a = await RawCharger.connect(backend.ocppUrl, 'CP-A', ['ocpp1.6']);
        const b = await RawCharger.connect(backend.ocppUrl, 'CP-B', ['ocpp1.6']);
        const first = await started(a, 'a1', { connectorId: 1, idTag: 'FLEET-7', meterStart: 0, timestamp: at(0) });
        assert.equal(first.idTagInfo.status, 'Accepted', 'the tag matched without case');
        const authorize = await b.call('b0', 'Authorize', { idTag: 'fleet-7' });
        assert.equal((authorize[2] as { idTagInfo: { status: string } }).idTagInfo.status, 'ConcurrentTx');
        const second = await started(b, 'b1', { connectorId: 1, idTag: 'fleet-7', meterStart: 0, timestamp: at(1) });
        assert.equal(second.idTagInfo.status, 'ConcurrentTx');
        const stored = await backend.api('GET', `/api/transactions/${second.transactionId}`);
        assert.equal(stored.body.idTag, 'fleet-7', 'stored as the charger spelled it');
        a.close();
        b.close();
      });
    });

    it('answers a retransmitted StartTransaction with the status of the first answer, whatever changed since', async (t) => {
      await withStorage(t, async (storage, backend) => {
        await backend.api('PUT', '/api/id-tags/RETRY-TAG', { status: 'Accepted' });
        const a = await RawCharger.connect(backend.ocppUrl, 'CP-RETRY-A', ['ocpp1.6']);
        const b = await RawCharger.connect(backend.ocppUrl, 'CP-RETRY-B', ['ocpp1.6']);
        const running = await started(a, 'a1', { connectorId: 1, idTag: 'RETRY-TAG', meterStart: 0, timestamp: at(0) });
        const concurrentStart = { connectorId: 1, idTag: 'RETRY-TAG', meterStart: 50, timestamp: at(1) };
        const concurrent = await started(b, 'b1', concurrentStart);
        assert.equal(concurrent.idTagInfo.status, 'ConcurrentTx');
        // The other transaction ends and the tag is blocked: a fresh start would be answered otherwise now.
        const stop = await a.call('a2', 'StopTransaction', {
          transactionId: running.transactionId,
          meterStop: 10,
          timestamp: at(2),
        });
        assert.equal(stop[0], 3);
        await backend.api('PUT', '/api/id-tags/RETRY-TAG', { status: 'Blocked' });
        const again = await started(b, 'b2', concurrentStart);
        assert.deepEqual(again, concurrent, 'the same transactionId and status as the first answer');
        const accepted = await started(a, 'a3', {
          connectorId: 2,
          idTag: 'RETRY-TAG',
          meterStart: 0,
          timestamp: at(3),
        });
        assert.equal(accepted.idTagInfo.status, 'Blocked', 'a new start gets the status of now');
        a.close();
        b.close();
        await backend.stop();

        // Another instance (or this one restarted) answers from the database, the same.
        const restarted = await startTestBackend({ database: storage.url });
        try {
          await restarted.api('PUT', '/api/id-tags/RETRY-TAG', { status: 'Accepted' });
          const back = await RawCharger.connect(restarted.ocppUrl, 'CP-RETRY-A', ['ocpp1.6']);
          const after = await started(back, 'a4', {
            connectorId: 2,
            idTag: 'RETRY-TAG',
            meterStart: 0,
            timestamp: at(3),
          });
          assert.deepEqual(after, accepted, 'Blocked as first answered, after a restart');
          back.close();
        } finally {
          await restarted.stop();
        }
      });
    });

    it('closes, flagged, a transaction still open on the connector when a new one starts', async (t) => {
      await withStorage(t, async (_storage, backend) => {
        const charger = await RawCharger.connect(backend.ocppUrl, 'CP-LOST-STOP', ['ocpp1.6']);
        const old = await started(charger, 'o', { connectorId: 2, idTag: 'T1', meterStart: 100, timestamp: at(0) });
        const next = await started(charger, 'n', { connectorId: 2, idTag: 'T2', meterStart: 900, timestamp: at(60) });
        const closed = (await backend.api('GET', `/api/transactions/${old.transactionId}`)).body;
        assert.equal(closed.stopTime, at(60));
        assert.equal(closed.meterStop, 900);
        assert.deepEqual(closed.flags, ['closedByNewStart']);
        assert.equal((await backend.api('GET', `/api/transactions/${next.transactionId}`)).body.stopTime, null);
        const flagged = await backend.api('GET', '/api/transactions?flagged=true&chargePointId=CP-LOST-STOP');
        assert.deepEqual(
          flagged.body.map((tx: { id: number }) => tx.id),
          [old.transactionId],
        );
        charger.close();
      });
    });

    it('flags suspect stops and meter values instead of refusing them, and keeps stops it cannot match', async (t) => {
      await withStorage(t, async (_storage, backend) => {
        const charger = await RawCharger.connect(backend.ocppUrl, 'CP-ODD-METER', ['ocpp1.6']);
        const { transactionId } = await started(charger, 's', {
          connectorId: 1,
          idTag: 'T',
          meterStart: 5000,
          timestamp: at(10),
        });
        const meter = await charger.call('m', 'MeterValues', {
          connectorId: 1,
          transactionId,
          meterValue: [
            { timestamp: at(5), sampledValue: [{ value: '4990' }] },
            { timestamp: at(15), sampledValue: [{ value: '5100' }] },
          ],
        });
        assert.equal(meter[0], 3);
        const stop = await charger.call('x', 'StopTransaction', {
          transactionId,
          meterStop: 4000,
          timestamp: at(0),
          transactionData: [{ timestamp: at(12), sampledValue: [{ value: '5050' }] }],
        });
        assert.equal(stop[0], 3, 'answered, not refused');
        const stored = (await backend.api('GET', `/api/transactions/${transactionId}`)).body;
        assert.equal(stored.meterStop, 4000, 'stored as sent');
        assert.deepEqual(stored.flags, ['meterStopBelowStart', 'stopBeforeStart']);
        assert.deepEqual(
          stored.meterValues.map((value: { value: string; flags?: string[] }) => [value.value, value.flags ?? []]),
          [
            ['4990', ['outsideTransaction']],
            ['5100', []],
            ['5050', ['outsideTransaction']],
          ],
        );

        const unknown = await charger.call('u', 'StopTransaction', {
          transactionId: 987654,
          meterStop: 42,
          timestamp: at(20),
          idTag: 'T',
        });
        assert.equal(unknown[0], 3, 'a stop for an unknown transaction is answered');
        const unmatched = await backend.api('GET', '/api/transactions/unmatched-stops?chargePointId=CP-ODD-METER');
        assert.deepEqual(
          unmatched.body.map((row: { transactionId: number; meterStop: number; stopTime: string }) => [
            row.transactionId,
            row.meterStop,
            row.stopTime,
          ]),
          [[987654, 42, at(20)]],
        );
        charger.close();
      });
    });

    it('takes the receive time for a StartTransaction without timestamp, flagged', async (t) => {
      await withStorage(t, async (_storage, backend) => {
        const charger = await RawCharger.connect(backend.ocppUrl, 'CP-NO-CLOCK', ['ocpp1.6']);
        const before = new Date().toISOString();
        const { transactionId } = await started(charger, 's', { connectorId: 1, idTag: 'T', meterStart: 0 });
        const stored = (await backend.api('GET', `/api/transactions/${transactionId}`)).body;
        assert.ok(stored.startTime >= before, stored.startTime);
        assert.deepEqual(stored.flags, ['schemaViolations', 'timestampDefaulted']);
        charger.close();
      });
    });
  });
}

describe('transactions on one PostgreSQL database shared by two instances', () => {
  it('gives both instances the same transactionId for the same start sent to each at once', async (t) => {
    const storage = await createStorage('postgres', t);
    if (!storage) return;
    const one = await startTestBackend({ database: storage.url });
    const two = await startTestBackend({ database: storage.url });
    try {
      const start = { connectorId: 1, idTag: 'SHARED', meterStart: 77, timestamp: at(0) };
      for (let round = 0; round < 5; round++) {
        const payload = { ...start, timestamp: at(round) };
        // The same charger id on both: a charger that reconnected to the other instance and resent its start.
        const a = await RawCharger.connect(one.ocppUrl, `CP-TWO-${round}`, ['ocpp1.6']);
        const b = await RawCharger.connect(two.ocppUrl, `CP-TWO-${round}`, ['ocpp1.6']);
        const [first, second] = await Promise.all([started(a, 'a', payload), started(b, 'b', payload)]);
        assert.equal(first.transactionId, second.transactionId, `round ${round}`);
        a.close();
        b.close();
      }
      const all = await one.api('GET', '/api/transactions?limit=100');
      assert.equal(all.body.length, 5, 'one transaction per start');
    } finally {
      await one.stop();
      await two.stop();
      await storage.cleanup();
    }
  });
});
