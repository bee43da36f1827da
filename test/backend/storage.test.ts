// The same storage suite on SQLite and on PostgreSQL: a full charging session stored and read back through the
// REST API, transaction ids from the database, repeated stops, the id-tag list, the bounded message log, and a
// real storage failure answered InternalError with nothing half-written.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RPCClient } from 'ocpp-rpc';
import { withBackend } from '../support/backend-instance.js';
import { connectCharger, RawCharger } from '../support/ocpp-chargers.js';
import { STORAGE_NAMES } from '../support/storage-targets.js';
import { waitFor } from '../support/waiting.js';

const at = (minute: number) => `2025-06-01T12:${String(minute).padStart(2, '0')}:00Z`;

function energySample(minute: number, wh: number) {
  return {
    timestamp: at(minute),
    sampledValue: [
      { value: String(wh), measurand: 'Energy.Active.Import.Register', unit: 'Wh', context: 'Sample.Periodic' },
    ],
  };
}

for (const dialect of STORAGE_NAMES) {
  describe(`storage on ${dialect}`, () => {
    it('stores a full session: boot, authorize, start, meter values, stop — committed before each answer', async (t) => {
      await withBackend(t, dialect, {}, async (backend) => {
        assert.equal((await backend.api('PUT', '/api/id-tags/RFID-1', { status: 'Accepted' })).status, 201);
        const charger: RPCClient = await connectCharger(backend.ocppUrl, 'CP-SESSION');
        const boot = (await charger.call('BootNotification', {
          chargePointVendor: 'Acme',
          chargePointModel: 'Wallbox',
          chargePointSerialNumber: 'SN-1',
          firmwareVersion: '1.2.3',
        })) as { status: string };
        assert.equal(boot.status, 'Accepted');
        await charger.call('StatusNotification', { connectorId: 1, status: 'Preparing', errorCode: 'NoError' });
        const authorize = (await charger.call('Authorize', { idTag: 'RFID-1' })) as { idTagInfo: { status: string } };
        assert.equal(authorize.idTagInfo.status, 'Accepted');

        const startedAt = performance.now();
        const start = (await charger.call('StartTransaction', {
          connectorId: 1,
          idTag: 'RFID-1',
          meterStart: 1000,
          timestamp: at(0),
        })) as { transactionId: number; idTagInfo: { status: string } };
        console.log(
          `StartTransaction round trip on ${dialect} (committed before the answer): ${(performance.now() - startedAt).toFixed(1)} ms`,
        );
        assert.equal(start.idTagInfo.status, 'Accepted');
        assert.ok(Number.isInteger(start.transactionId) && start.transactionId > 0);
        // Committed before the answer: readable at once, no waiting.
        const running = await backend.api('GET', `/api/transactions?chargePointId=CP-SESSION&active=true`);
        assert.deepEqual(
          running.body.map((tx: { id: number }) => tx.id),
          [start.transactionId],
        );

        await charger.call('MeterValues', {
          connectorId: 1,
          transactionId: start.transactionId,
          meterValue: [energySample(5, 1500), energySample(10, 2100)],
        });
        const stop = (await charger.call('StopTransaction', {
          transactionId: start.transactionId,
          meterStop: 3500,
          timestamp: at(20),
          idTag: 'RFID-1',
          reason: 'Local',
          transactionData: [energySample(20, 3500)],
        })) as { idTagInfo?: { status: string } };
        assert.equal(stop.idTagInfo?.status, 'Accepted');

        const transaction = await backend.api('GET', `/api/transactions/${start.transactionId}`);
        assert.equal(transaction.status, 200);
        assert.deepEqual(
          { ...transaction.body, meterValues: undefined },
          {
            id: start.transactionId,
            ocppVersion: '1.6',
            chargerTransactionId: null,
            chargePointId: 'CP-SESSION',
            connectorId: 1,
            evseConnectorId: null,
            idTag: 'RFID-1',
            idTokenType: null,
            reservationId: null,
            remoteStartId: null,
            chargingState: null,
            meterStart: 1000,
            meterStop: 3500,
            startTime: '2025-06-01T12:00:00.000Z',
            stopTime: '2025-06-01T12:20:00.000Z',
            stopReason: 'Local',
            energy: 2500,
            flags: [],
            meterValues: undefined,
          },
        );
        assert.deepEqual(
          transaction.body.meterValues.map((value: { value: string; sampledAt: string }) => [
            value.sampledAt,
            value.value,
          ]),
          [
            ['2025-06-01T12:05:00.000Z', '1500'],
            ['2025-06-01T12:10:00.000Z', '2100'],
            ['2025-06-01T12:20:00.000Z', '3500'],
          ],
        );
        assert.equal(transaction.body.meterValues[0].measurand, 'Energy.Active.Import.Register');

        const finished = await backend.api('GET', '/api/transactions?active=false');
        assert.deepEqual(
          finished.body.map((tx: { id: number }) => tx.id),
          [start.transactionId],
        );
        const chargePoint = await backend.api('GET', '/api/charge-points/CP-SESSION');
        assert.equal(chargePoint.body.vendor, 'Acme');
        assert.equal(chargePoint.body.serialNumber, 'SN-1');
        assert.equal(chargePoint.body.firmwareVersion, '1.2.3');
        assert.equal(chargePoint.body.connected, true);
        assert.ok(chargePoint.body.lastHeartbeat);
        assert.equal(chargePoint.body.connectors[0].status, 'Preparing');
        await charger.close();
      });
    });

    it('takes transaction ids from the database and ignores a repeated StopTransaction', async (t) => {
      await withBackend(t, dialect, {}, async (backend) => {
        const charger = await connectCharger(backend.ocppUrl, 'CP-IDS');
        const ids: number[] = [];
        for (let i = 0; i < 3; i++) {
          // One connector each: a new start on a connector closes the transaction still open there.
          const start = (await charger.call('StartTransaction', {
            connectorId: i + 1,
            idTag: 'UNKNOWN',
            meterStart: i,
            timestamp: at(i),
          })) as { transactionId: number; idTagInfo: { status: string } };
          assert.equal(
            start.idTagInfo.status,
            'Invalid',
            'an unknown id tag is Invalid, the transaction is recorded anyway',
          );
          ids.push(start.transactionId);
        }
        assert.deepEqual(ids, [ids[0], ids[0] + 1, ids[0] + 2]);

        await charger.call('StopTransaction', {
          transactionId: ids[0],
          meterStop: 50,
          timestamp: at(30),
          transactionData: [energySample(30, 50)],
        });
        const once = await backend.api('GET', `/api/transactions/${ids[0]}`);
        await charger.call('StopTransaction', {
          transactionId: ids[0],
          meterStop: 99999,
          timestamp: at(45),
          reason: 'Other',
          transactionData: [energySample(45, 99999)],
        });
        const twice = await backend.api('GET', `/api/transactions/${ids[0]}`);
        assert.deepEqual(twice.body, once.body, 'the second stop changed nothing, not even meter values');
        assert.equal(twice.body.meterStop, 50);

        // A stop for a transaction that does not exist is still answered (the charger would retry forever).
        assert.deepEqual(
          await charger.call('StopTransaction', { transactionId: 987654, meterStop: 1, timestamp: at(50) }),
          {},
        );
        await charger.close();
      });
    });

    it('stops a transaction once when two stops race (two connections of the pool)', async (t) => {
      await withBackend(t, dialect, {}, async (backend) => {
        const store = backend.handle.store;
        await store.ensureChargePoint('CP-RACE', new Date().toISOString());
        const { id: transactionId } = await store.startTransaction({
          chargePointId: 'CP-RACE',
          connectorId: 1,
          idTag: 'T',
          meterStart: 0,
          startTime: at(0),
        });
        const stop = (meterStop: number) =>
          store.stopTransaction({
            transactionId,
            chargePointId: 'CP-RACE',
            meterStop,
            stopTime: at(meterStop),
            transactionData: [{ sampledAt: at(meterStop), value: String(meterStop) }],
          });
        const outcomes = (await Promise.all([stop(10), stop(20)])).map((result) => result.outcome);
        assert.deepEqual([...outcomes].sort(), ['alreadyStopped', 'stopped']);
        const meterValues = await store.listMeterValues(transactionId);
        const transaction = await store.getTransaction(transactionId);
        assert.equal(meterValues.length, 1, 'only the winning stop stored its transactionData');
        assert.equal(meterValues[0].value, String(transaction!.meterStop));
      });
    });

    it('answers Authorize from the id-tag list: Accepted, Blocked, Expired, Invalid', async (t) => {
      await withBackend(t, dialect, {}, async (backend) => {
        await backend.api('PUT', '/api/id-tags/OK', { status: 'Accepted', expiryDate: '2099-01-01T00:00:00Z' });
        await backend.api('PUT', '/api/id-tags/BLOCKED', { status: 'Blocked' });
        await backend.api('PUT', '/api/id-tags/OLD', { status: 'Accepted', expiryDate: '2020-01-01T00:00:00+02' });
        const charger = await connectCharger(backend.ocppUrl, 'CP-AUTH');
        const status = async (idTag: string) =>
          ((await charger.call('Authorize', { idTag })) as { idTagInfo: { status: string } }).idTagInfo.status;
        assert.equal(await status('OK'), 'Accepted');
        assert.equal(await status('BLOCKED'), 'Blocked');
        assert.equal(await status('OLD'), 'Expired');
        assert.equal(await status('NOBODY'), 'Invalid');
        const tag = await backend.api('GET', '/api/id-tags/OLD');
        assert.equal(tag.body.expiryDate, '2019-12-31T22:00:00.000Z');
        assert.equal((await backend.api('DELETE', '/api/id-tags/OK')).status, 204);
        assert.equal(await status('OK'), 'Invalid');
        assert.equal((await backend.api('GET', '/api/id-tags/OK')).status, 404);
        await charger.close();
      });
    });

    it('stores status history, firmware and diagnostics status, and keeps the message log bounded', async (t) => {
      await withBackend(t, dialect, { 'message-log-size': 10 }, async (backend) => {
        const charger = await connectCharger(backend.ocppUrl, 'CP-LOG');
        for (const status of ['Available', 'Preparing', 'Charging'])
          await charger.call('StatusNotification', { connectorId: 1, status, errorCode: 'NoError' });
        await charger.call('FirmwareStatusNotification', { status: 'Downloaded' });
        await charger.call('DiagnosticsStatusNotification', { status: 'Uploaded' });
        for (let i = 0; i < 10; i++) await charger.call('Heartbeat', {});
        assert.equal(
          ((await charger.call('DataTransfer', { vendorId: 'acme' })) as { status: string }).status,
          'UnknownVendorId',
        );

        const history = await backend.api('GET', '/api/charge-points/CP-LOG/status-history');
        assert.deepEqual(
          history.body.map((row: { status: string }) => row.status),
          ['Charging', 'Preparing', 'Available'],
        );
        const chargePoint = await backend.api('GET', '/api/charge-points/CP-LOG');
        assert.equal(chargePoint.body.firmwareStatus, 'Downloaded');
        assert.equal(chargePoint.body.diagnosticsStatus, 'Uploaded');

        // 16 calls = 32 frames; the log keeps the newest 10, the very last being the DataTransfer answer.
        const store = backend.handle.store;
        await waitFor(
          'message log flush',
          async () =>
            (await backend.api('GET', '/api/charge-points/CP-LOG/messages?limit=1')).body[0]?.action === 'DataTransfer',
          { timeoutMs: 3000 },
        );
        assert.equal(await store.countMessages(), 10);
        const newest = (await backend.api('GET', '/api/charge-points/CP-LOG/messages?limit=2')).body;
        assert.equal(newest[0].direction, 'out');
        assert.equal(newest[0].messageType, 3);
        assert.equal(newest[1].direction, 'in');
        assert.match(newest[1].frame, /"DataTransfer"/);
        await charger.close();
      });
    });

    it('returns domain objects (camelCase, numbers as numbers) for every kind of record it stores', async (t) => {
      await withBackend(t, dialect, {}, async (backend) => {
        const store = backend.handle.store;
        const now = '2025-06-01T12:00:00.000Z';
        assert.equal(await store.putChargePoint('CP-DOMAIN', { passwordHash: 'hash' }, now), true);
        await store.recordBoot('CP-DOMAIN', { vendor: 'Acme', model: 'Wallbox', serialNumber: 'SN-9' }, now);
        await store.recordStatus(
          'CP-DOMAIN',
          { connectorId: 2, status: 'Faulted', errorCode: 'GroundFailure', at: now },
          now,
        );
        assert.deepEqual(await store.getChargePoint('CP-DOMAIN'), {
          id: 'CP-DOMAIN',
          passwordHash: 'hash',
          securityProfile: 0,
          pendingPasswordHash: null,
          vendor: 'Acme',
          model: 'Wallbox',
          serialNumber: 'SN-9',
          firmwareVersion: null,
          iccid: null,
          imsi: null,
          meterType: null,
          meterSerialNumber: null,
          firmwareStatus: null,
          diagnosticsStatus: null,
          registeredAt: now,
          lastBootAt: now,
          lastHeartbeatAt: now,
          ocppValidation: null,
          schemaViolations: 0,
          lastSchemaViolationAt: null,
          ocppVersion: null,
          ocppVersions: null,
          bootReason: null,
        });
        assert.deepEqual(
          (await store.listChargePoints()).map((chargePoint) => chargePoint.id),
          ['CP-DOMAIN'],
        );
        const connector = {
          connectorId: 2,
          status: 'Faulted',
          errorCode: 'GroundFailure',
          info: null,
          vendorErrorCode: null,
          statusAt: now,
        };
        assert.deepEqual(await store.listConnectors('CP-DOMAIN'), [connector]);
        assert.deepEqual(await store.listStatusHistory('CP-DOMAIN', 10), [
          { ...connector, evseConnectorId: null, receivedAt: now },
        ]);

        const tag = { idTag: 'RFID-D', status: 'Blocked', expiryDate: now, parentIdTag: 'GROUP' };
        assert.equal(await store.putIdTag(tag), true);
        assert.deepEqual(await store.getIdTag('RFID-D'), tag);

        const entry = {
          chargePointId: 'CP-DOMAIN',
          direction: 'in',
          messageType: 2,
          messageId: 'm1',
          action: 'Heartbeat',
          frame: '[2,"m1","Heartbeat",{}]',
          loggedAt: now,
        };
        await store.appendMessages([entry]);
        const [logged] = await store.listMessages('CP-DOMAIN', 1);
        assert.equal(typeof logged?.id, 'number');
        assert.deepEqual({ ...logged, id: undefined }, { ...entry, id: undefined });
      });
    });

    it('answers InternalError when storage fails and leaves nothing half-written; /health turns 503', async (t) => {
      await withBackend(t, dialect, {}, async (backend, storage) => {
        const charger = await RawCharger.connect(backend.ocppUrl, 'CP-FAIL', ['ocpp1.6']);
        const start = await charger.call('s', 'StartTransaction', {
          connectorId: 1,
          idTag: 'X',
          meterStart: 10,
          timestamp: at(0),
        });
        const { transactionId } = start[2] as { transactionId: number };
        await charger.call('m', 'MeterValues', { connectorId: 1, transactionId, meterValue: [energySample(1, 11)] });

        // Break the database for real: the table StopTransaction's transactionData goes into disappears.
        await storage.exec('DROP TABLE meter_values');
        const stop = await charger.call('x', 'StopTransaction', {
          transactionId,
          meterStop: 99,
          timestamp: at(9),
          transactionData: [energySample(9, 99)],
        });
        assert.deepEqual(stop.slice(0, 3), [4, 'x', 'InternalError']);
        const meter = await charger.call('y', 'MeterValues', {
          connectorId: 1,
          transactionId,
          meterValue: [energySample(2, 12)],
        });
        assert.deepEqual(meter.slice(0, 3), [4, 'y', 'InternalError']);

        // The stop was rolled back with its meter values: the transaction is still running, unchanged.
        const transactions = await backend.api('GET', '/api/transactions?chargePointId=CP-FAIL');
        assert.equal(transactions.body.length, 1);
        assert.equal(transactions.body[0].stopTime, null);
        assert.equal(transactions.body[0].meterStop, null);
        // Other messages still work; the charger is still connected.
        assert.equal((await charger.call('h', 'Heartbeat', {}))[0], 3);
        assert.equal((await backend.api('GET', '/health', undefined, null)).status, 200);

        await storage.exec(dialect === 'postgres' ? 'DROP TABLE charge_points CASCADE' : 'DROP TABLE charge_points');
        const health = await backend.api('GET', '/health', undefined, null);
        assert.equal(health.status, 503);
        assert.equal(health.body.storage.status, 'down');
        assert.deepEqual(
          (await charger.call('b', 'BootNotification', { chargePointVendor: 'V', chargePointModel: 'M' })).slice(0, 3),
          [4, 'b', 'InternalError'],
        );
        charger.close();
      });
    });
  });
}
