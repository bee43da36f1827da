// Issue 15 §1: the tolerant inbound policy end to end, over real WebSockets to a real backend on both databases:
// a charger's off-spec request is answered and stored, each violation is counted in the metric, logged with the
// charger, action, JSON path and rule, and listed in the REST API; what handlers depend on stays strict; a
// charger set to strict through the API (or a backend started with --ocpp-validation strict) gets the CALLERRORs
// strict mode gives.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RawCharger } from '../support/ocpp-chargers.js';
import { startTestBackend } from '../support/backend-instance.js';
import { createStorage, STORAGE_NAMES } from '../support/storage-targets.js';
import { waitFor } from '../support/waiting.js';

function metric(text: string, action: string, keyword: string): number {
  const line = text
    .split('\n')
    .find(
      (row) =>
        row.startsWith('ocpp_edge_ocpp_schema_violations_total{') &&
        row.includes(`action="${action}"`) &&
        row.includes(`keyword="${keyword}"`),
    );
  return line ? Number(line.split(' ').at(-1)) : 0;
}

for (const dialect of STORAGE_NAMES) {
  describe(`tolerant validation (${dialect})`, () => {
    it('accepts an off-spec BootNotification, stores it, and records each violation', async (t) => {
      const storage = await createStorage(dialect, t);
      if (!storage) return;
      const logLines: Array<Record<string, unknown>> = [];
      const backend = await startTestBackend({ database: storage.url, 'log-level': 'info' }, { logLines });
      try {
        const events: Array<Record<string, unknown>> = [];
        backend.handle.events.subscribe((event) => {
          if (event.type === 'schema.violation') events.push(event.data as Record<string, unknown>);
        });
        const charger = await RawCharger.connect(backend.ocppUrl, 'EVLINK-1', ['ocpp1.6']);
        // Schneider EVlink: a 33-character chargeBoxSerialNumber; plus a number where a string belongs.
        const serial = 'EVB1A22P4RI3N2024123456789012345X';
        assert.equal(serial.length, 33);
        const boot = await charger.call('b1', 'BootNotification', {
          chargePointVendor: 'Schneider Electric',
          chargePointModel: 'EVlink Smart Wallbox',
          chargeBoxSerialNumber: serial,
          firmwareVersion: 3.4,
        });
        assert.equal(boot[0], 3, JSON.stringify(boot));
        assert.equal((boot[2] as { status: string }).status, 'Accepted');

        const chargePoint = await backend.api('GET', '/api/charge-points/EVLINK-1');
        assert.equal(chargePoint.body.serialNumber, serial, 'the serial is stored whole, as sent');
        assert.equal(chargePoint.body.firmwareVersion, '3.4');

        const metrics = { body: await backend.metrics() };
        assert.equal(metric(metrics.body, 'BootNotification', 'maxLength'), 1);
        assert.equal(metric(metrics.body, 'BootNotification', 'type'), 1);

        const warned = logLines.filter((line) => line.msg === 'tolerated schema violation');
        assert.deepEqual(
          warned.map((line) => [line.chargePointId, line.action, line.path, line.keyword, line.level]),
          [
            ['EVLINK-1', 'BootNotification', '/chargeBoxSerialNumber', 'maxLength', 40],
            ['EVLINK-1', 'BootNotification', '/firmwareVersion', 'type', 40],
          ],
        );
        assert.match(String(warned[0]?.rule), /25 characters/);
        assert.deepEqual(
          events.map((event) => [event.chargePointId, event.tolerated, event.path, event.repair]),
          [
            ['EVLINK-1', true, '/chargeBoxSerialNumber', 'kept'],
            ['EVLINK-1', true, '/firmwareVersion', 'coerced'],
          ],
          'one schema.violation event per violation, for webhooks',
        );

        const record = await waitFor('the violations stored', async () => {
          const answer = await backend.api('GET', '/api/charge-points/EVLINK-1/schema-violations');
          return answer.body.count === 2 ? answer.body : undefined;
        });
        assert.equal(record.ocppValidation.effective, 'tolerant');
        assert.deepEqual(
          record.violations.map((v: Record<string, unknown>) => [v.action, v.path, v.keyword, v.repair, v.messageId]),
          [
            ['BootNotification', '/firmwareVersion', 'type', 'coerced', 'b1'],
            ['BootNotification', '/chargeBoxSerialNumber', 'maxLength', 'kept', 'b1'],
          ],
        );
        const offSpec = await backend.api('GET', '/api/schema-violations');
        assert.deepEqual(
          offSpec.body.map((row: { id: string; violations: number; model: string }) => [
            row.id,
            row.violations,
            row.model,
          ]),
          [['EVLINK-1', 2, 'EVlink Smart Wallbox']],
        );
        assert.equal((await backend.api('GET', '/api/charge-points/EVLINK-1')).body.schemaViolations, 2);
        charger.close();
      } finally {
        await backend.stop();
        await storage.cleanup();
      }
    });

    it('stores meter values sent as JSON numbers and drops only the unreadable one', async (t) => {
      const storage = await createStorage(dialect, t);
      if (!storage) return;
      const backend = await startTestBackend({ database: storage.url });
      try {
        await backend.api('PUT', '/api/id-tags/TAG1', { status: 'Accepted' });
        const charger = await RawCharger.connect(backend.ocppUrl, 'OPENEVSE-1', ['ocpp1.6']);
        const start = await charger.call('s', 'StartTransaction', {
          connectorId: 1,
          idTag: 'TAG1',
          meterStart: 100,
          timestamp: '2025-05-01T10:00:00Z',
        });
        const { transactionId } = start[2] as { transactionId: number };
        // ArduinoOCPP / OpenEVSE: the sampled value as a JSON number, a unit in lower case, one garbage entry.
        const meter = await charger.call('m', 'MeterValues', {
          connectorId: 1,
          transactionId,
          meterValue: [
            {
              timestamp: '2025-05-01T10:05:00Z',
              sampledValue: [
                { value: 1234.5, measurand: 'Energy.Active.Import.Register', unit: 'wh' },
                { value: { broken: true } },
                { value: '16.1', measurand: 'Current.Import', unit: 'A' },
              ],
            },
          ],
        });
        assert.equal(meter[0], 3, JSON.stringify(meter));
        const values = (await backend.api('GET', `/api/transactions/${transactionId}`)).body.meterValues;
        assert.deepEqual(
          values.map((v: { value: string; unit: string }) => [v.value, v.unit]),
          [
            ['1234.5', 'Wh'],
            ['16.1', 'A'],
          ],
        );
        const record = await waitFor('the violations stored', async () => {
          const answer = await backend.api('GET', '/api/charge-points/OPENEVSE-1/schema-violations');
          return answer.body.count === 3 ? answer.body : undefined;
        });
        const dropped = record.violations.find((v: { repair: string }) => v.repair === 'dropped');
        assert.equal(dropped.path, '/meterValue/0/sampledValue/1');
        assert.equal(dropped.raw, '{"value":{"broken":true}}', 'the raw value is kept');
        charger.close();
      } finally {
        await backend.stop();
        await storage.cleanup();
      }
    });
  });
}

describe('tolerant validation: what stays strict', () => {
  it('keeps connectorId, idTag, meterStart and transactionId strict, with the OCPP-J error codes', async (t) => {
    const storage = await createStorage('sqlite', t);
    if (!storage) return;
    const backend = await startTestBackend({ database: storage.url });
    try {
      const charger = await RawCharger.connect(backend.ocppUrl, 'CP-STRICT-FIELDS', ['ocpp1.6']);
      const base = { connectorId: 1, idTag: 'T', meterStart: 0, timestamp: '2025-01-01T00:00:00Z' };
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ ...base, connectorId: '1' }, 'TypeConstraintViolation'],
        [{ ...base, meterStart: 10.5 }, 'TypeConstraintViolation'],
        [{ ...base, idTag: 'X'.repeat(21) }, 'FormationViolation'],
        [{ connectorId: 1, meterStart: 0, timestamp: base.timestamp }, 'OccurrenceConstraintViolation'],
      ];
      for (const [index, [payload, code]] of cases.entries()) {
        const answer = await charger.call(`c${index}`, 'StartTransaction', payload);
        assert.deepEqual(answer.slice(0, 3), [4, `c${index}`, code], JSON.stringify(payload));
      }
      const stop = await charger.call('st', 'StopTransaction', {
        transactionId: 'x',
        meterStop: 1,
        timestamp: base.timestamp,
      });
      assert.deepEqual(stop.slice(0, 3), [4, 'st', 'TypeConstraintViolation']);
      assert.deepEqual((await backend.api('GET', '/api/transactions?chargePointId=CP-STRICT-FIELDS')).body, []);
      charger.close();
    } finally {
      await backend.stop();
      await storage.cleanup();
    }
  });

  it("OCPP 2.0.1: tolerates a station's off-spec TransactionEvent, records it, and keeps its keys strict", async (t) => {
    const storage = await createStorage('sqlite', t);
    if (!storage) return;
    const logLines: Array<Record<string, unknown>> = [];
    const backend = await startTestBackend({ database: storage.url, 'log-level': 'info' }, { logLines });
    try {
      const station = await RawCharger.connect(backend.ocppUrl, 'CS-201-TOLERANT', ['ocpp2.0.1']);
      const base = {
        eventType: 'Started',
        timestamp: '2025-01-01T00:00:00Z',
        triggerReason: 'CablePluggedIn',
        seqNo: 0,
        transactionInfo: { transactionId: 'TX-201' },
        evse: { id: 1, connectorId: 1 },
      };
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ ...base, seqNo: '0' }, 'TypeConstraintViolation'],
        [{ ...base, evse: { id: '1' } }, 'TypeConstraintViolation'],
        [{ ...base, evse: { id: 1, connectorId: 1.5 } }, 'TypeConstraintViolation'],
        [{ ...base, transactionInfo: { transactionId: 'T'.repeat(37) } }, 'FormatViolation'],
        [{ ...base, eventType: 'started' }, 'FormatViolation'],
        [{ ...base, transactionInfo: {} }, 'OccurrenceConstraintViolation'],
      ];
      for (const [index, [payload, code]] of cases.entries()) {
        const answer = await station.call(`k${index}`, 'TransactionEvent', payload);
        assert.deepEqual(answer.slice(0, 3), [4, `k${index}`, code], JSON.stringify(payload));
      }
      assert.deepEqual((await backend.api('GET', '/api/transactions?chargePointId=CS-201-TOLERANT')).body, []);

      // A chargingState of 2.0 drafts (EVDetected), a triggerReason in another case, and no timestamp.
      const { timestamp: _sent, ...untimed } = base;
      const tolerated = await station.call('ok', 'TransactionEvent', {
        ...untimed,
        triggerReason: 'cablepluggedin',
        transactionInfo: { transactionId: 'TX-201', chargingState: 'EVDetected' },
      });
      assert.equal(tolerated[0], 3, JSON.stringify(tolerated));
      const [transaction] = (await backend.api('GET', '/api/transactions?chargePointId=CS-201-TOLERANT')).body;
      assert.ok(transaction, 'stored');
      assert.ok(!Number.isNaN(Date.parse(transaction.startTime)), 'the receive time stands in for the timestamp');
      assert.deepEqual(transaction.flags, ['schemaViolations', 'timestampDefaulted'], 'and the transaction says so');
      const warned = logLines.filter((line) => line.msg === 'tolerated schema violation');
      assert.deepEqual(
        warned.map((line) => [line.chargePointId, line.action, line.path, line.keyword, line.repair]),
        [
          ['CS-201-TOLERANT', 'TransactionEvent', '/timestamp', 'required', 'defaulted'],
          ['CS-201-TOLERANT', 'TransactionEvent', '/triggerReason', 'enum', 'normalised'],
          ['CS-201-TOLERANT', 'TransactionEvent', '/transactionInfo/chargingState', 'enum', 'kept'],
        ],
      );
      assert.equal(metric(await backend.metrics(), 'TransactionEvent', 'enum'), 2);
      const record = await waitFor('the 2.0.1 violations stored', async () => {
        const answer = await backend.api('GET', '/api/charge-points/CS-201-TOLERANT/schema-violations');
        return answer.body.count === 3 ? answer.body : undefined;
      });
      assert.equal(record.violations.length, 3);

      // Strict for this station (certifying it): the same request gets strict mode's CALLERROR.
      await backend.api('PUT', '/api/charge-points/CS-201-TOLERANT/ocpp-validation', { mode: 'strict' });
      const refused = await station.call('strict', 'TransactionEvent', {
        ...base,
        seqNo: 1,
        transactionInfo: { transactionId: 'TX-201', chargingState: 'EVDetected' },
      });
      assert.deepEqual(refused.slice(0, 3), [4, 'strict', 'FormatViolation']);
      station.close();
    } finally {
      await backend.stop();
      await storage.cleanup();
    }
  });

  it('gives a charger set to strict through the API the CALLERRORs of strict mode, at once', async (t) => {
    const storage = await createStorage('sqlite', t);
    if (!storage) return;
    const backend = await startTestBackend({ database: storage.url });
    try {
      const charger = await RawCharger.connect(backend.ocppUrl, 'CP-CERT', ['ocpp1.6']);
      const heartbeat = () => charger.call(`h${Math.random()}`, 'Heartbeat', { surprise: true });
      assert.equal((await heartbeat())[0], 3, 'tolerant by default');
      const set = await backend.api('PUT', '/api/charge-points/CP-CERT/ocpp-validation', { mode: 'strict' });
      assert.deepEqual(set.body, { id: 'CP-CERT', override: 'strict', effective: 'strict' });
      assert.equal((await heartbeat())[2], 'PropertyConstraintViolation', 'strict while connected');
      charger.close();
      const again = await RawCharger.connect(backend.ocppUrl, 'CP-CERT', ['ocpp1.6']);
      assert.equal(
        (await again.call('h2', 'Heartbeat', { surprise: true }))[2],
        'PropertyConstraintViolation',
        'and after reconnecting',
      );
      await backend.api('PUT', '/api/charge-points/CP-CERT/ocpp-validation', { mode: 'default' });
      assert.equal((await again.call('h3', 'Heartbeat', { surprise: true }))[0], 3, 'back to the default');
      again.close();
      assert.equal(
        (await backend.api('PUT', '/api/charge-points/NOPE/ocpp-validation', { mode: 'strict' })).status,
        404,
      );
      assert.equal(
        (await backend.api('PUT', '/api/charge-points/CP-CERT/ocpp-validation', { mode: 'lax' })).status,
        400,
      );
    } finally {
      await backend.stop();
      await storage.cleanup();
    }
  });

  it('--ocpp-validation strict refuses what tolerant accepts, and records nothing', async (t) => {
    const storage = await createStorage('sqlite', t);
    if (!storage) return;
    const backend = await startTestBackend({ database: storage.url, 'ocpp-validation': 'strict' });
    try {
      const charger = await RawCharger.connect(backend.ocppUrl, 'CP-S', []);
      const boot = await charger.call('b', 'BootNotification', {
        chargePointVendor: 'V',
        chargePointModel: 'M',
        chargeBoxSerialNumber: 'X'.repeat(33),
      });
      assert.deepEqual(boot.slice(0, 3), [4, 'b', 'FormationViolation']);
      const metrics = { body: await backend.metrics() };
      assert.equal(metric(metrics.body, 'BootNotification', 'maxLength'), 0);
      assert.equal((await backend.api('GET', '/api/charge-points/CP-S/schema-violations')).body.count, 0);
      charger.close();
    } finally {
      await backend.stop();
      await storage.cleanup();
    }
  });
});
