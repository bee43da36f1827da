// The OCPP-J endpoint at /ocpp/{chargePointId}: subprotocol negotiation, strict mode for every client set to it, lenient
// timestamps, error codes, and one connection per charge point.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { connectCharger, RawCharger, upgradeStatus } from '../support/ocpp-chargers.js';
import { startTestBackend, type TestBackend } from '../support/backend-instance.js';
import { createStorage, type StorageTarget } from '../support/storage-targets.js';
import { waitFor } from '../support/waiting.js';

describe('OCPP endpoint', () => {
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

  it("answers the migration plan's test_wss.py exchange: no subprotocol, BootNotification → Accepted, interval 300", async () => {
    const charger = await RawCharger.connect(backend.ocppUrl, 'TEST_CHARGER_01', []);
    assert.equal(charger.ws.protocol, '', 'no subprotocol was offered, none is chosen');
    const started = performance.now();
    const answer = await charger.call('12345', 'BootNotification', {
      chargePointVendor: 'TestVendor',
      chargePointModel: 'TestModel',
    });
    const latencyMs = performance.now() - started;
    assert.equal(answer[0], 3);
    assert.equal(answer[1], '12345');
    const payload = answer[2] as { currentTime: string; interval: number; status: string };
    assert.equal(payload.status, 'Accepted');
    assert.equal(payload.interval, 300);
    assert.ok(Math.abs(Date.parse(payload.currentTime) - Date.now()) < 5000, 'currentTime is now');
    console.log(`boot-to-answer latency (raw ws, SQLite, first boot): ${latencyMs.toFixed(1)} ms`);
    charger.close();
  });

  it('validates a client without subprotocol in strict mode: an invalid BootNotification gets a CALLERROR', async () => {
    // Strict for this charger (the default, tolerant, is test/backend/tolerant-validation.test.ts).
    await backend.api('PUT', '/api/charge-points/CP-NOPROTO', {});
    await backend.api('PUT', '/api/charge-points/CP-NOPROTO/ocpp-validation', { mode: 'strict' });
    const charger = await RawCharger.connect(backend.ocppUrl, 'CP-NOPROTO', []);
    const missingModel = await charger.call('a', 'BootNotification', { chargePointVendor: 'TestVendor' });
    assert.deepEqual(missingModel.slice(0, 3), [4, 'a', 'OccurrenceConstraintViolation']);
    const wrongType = await charger.call('b', 'BootNotification', { chargePointVendor: 42, chargePointModel: 'M' });
    assert.deepEqual(wrongType.slice(0, 3), [4, 'b', 'TypeConstraintViolation']);
    const tooLong = await charger.call('c', 'BootNotification', {
      chargePointVendor: 'V'.repeat(21),
      chargePointModel: 'M',
    });
    assert.deepEqual(
      tooLong.slice(0, 3),
      [4, 'c', 'FormationViolation'],
      'OCPP 1.6 spelling (errata), as for ocpp1.6 clients',
    );
    const extra = await charger.call('d', 'Heartbeat', { surprise: true });
    assert.deepEqual(extra.slice(0, 3), [4, 'd', 'PropertyConstraintViolation']);
    const chargePoint = await backend.api('GET', '/api/charge-points/CP-NOPROTO');
    assert.equal(chargePoint.body.vendor, null, 'nothing invalid was stored');
    charger.close();
  });

  it('chooses ocpp1.6 when offered and validates the same way', async () => {
    const charger = await RawCharger.connect(backend.ocppUrl, 'CP-16', ['ocpp1.6']);
    assert.equal(charger.ws.protocol, 'ocpp1.6');
    const invalid = await charger.call('x', 'BootNotification', { chargePointVendor: 'TestVendor' });
    assert.deepEqual(invalid.slice(0, 3), [4, 'x', 'OccurrenceConstraintViolation']);
    charger.close();
  });

  it('refuses a client offering only other subprotocols with 400', async () => {
    assert.equal(await upgradeStatus(backend.ocppUrl, 'CP-21', { protocols: ['ocpp2.1', 'ocpp1.5'] }), 400);
  });

  it('refuses paths other than /ocpp/{id} and invalid identities', async () => {
    const base = backend.ocppUrl.replace(/\/ocpp$/, '');
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${base}/elsewhere/CP1`);
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('error', () => resolve(0));
    });
    assert.equal(status, 404);
    assert.equal(await upgradeStatus(backend.ocppUrl, 'has:colon'), 400);
    // A malformed percent-escape once crashed the process inside ocpp-rpc; now it is a plain 400.
    const malformed = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${backend.ocppUrl}/%E0%A4%A`);
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('error', () => resolve(0));
    });
    assert.equal(malformed, 400);
    assert.equal((await backend.api('GET', '/health', undefined, null)).status, 200, 'still running');
    assert.equal(await upgradeStatus(backend.ocppUrl, 'X'.repeat(49)), 400);
    assert.equal(await upgradeStatus(backend.ocppUrl, 'a/b'), 400, 'an encoded slash');
    assert.equal(await upgradeStatus(backend.ocppUrl, 'CPé'), 400, 'outside ASCII');
  });

  it('percent-decodes the identity (OCPP-J 3.1.1): RDAM%7C123 connects as RDAM|123, and the API finds it', async () => {
    const charger = await RawCharger.connect(backend.ocppUrl, 'RDAM|123', []);
    assert.equal((await charger.call('b', 'Heartbeat', {}))[0], 3);
    const chargePoint = await backend.api('GET', '/api/charge-points/RDAM%7C123');
    assert.equal(chargePoint.status, 200);
    assert.equal(chargePoint.body.id, 'RDAM|123');
    assert.equal(chargePoint.body.connected, true);
    charger.close();
    // The API takes the identities the endpoint takes, and refuses the others with 400.
    assert.equal((await backend.api('PUT', '/api/charge-points/CP$1', {})).status < 300, true);
    assert.equal(await upgradeStatus(backend.ocppUrl, 'CP$1'), 101);
    assert.equal((await backend.api('PUT', '/api/charge-points/CP%3A1', {})).status, 400);
    assert.equal((await backend.api('GET', `/api/charge-points/${'X'.repeat(49)}`)).status, 400);
  });

  it('answers invalid JSON, unknown actions and unknown message types with the OCPP-J error codes', async () => {
    const charger = await RawCharger.connect(backend.ocppUrl, 'CP-BAD', []);
    charger.send('{not json');
    assert.deepEqual((await charger.answerTo('-1')).slice(0, 3), [4, '-1', 'RpcFrameworkError']);
    assert.deepEqual((await charger.call('u1', 'MakeCoffee', {})).slice(0, 3), [4, 'u1', 'NotImplemented']);
    // An action with a schema but no handler of ours (the central system's own GetLog, sent by a charger).
    assert.deepEqual(
      (await charger.call('u2', 'GetLog', { logType: 'DiagnosticsLog', requestId: 1, log: {} })).slice(0, 3),
      [4, 'u2', 'NotImplemented'],
    );
    // ocpp-rpc answers before reading the message id, hence "-1".
    charger.send(JSON.stringify([7, 'm1', 'Heartbeat', {}]));
    assert.deepEqual((await charger.answerTo('-1')).slice(0, 3), [4, '-1', 'MessageTypeNotSupported']);
    // The connection is still usable.
    assert.equal((await charger.call('ok', 'Heartbeat', {}))[0], 3);
    charger.close();
  });

  it('accepts timestamps as real chargers send them (+03, no zone) and stores them in UTC', async () => {
    const charger = await RawCharger.connect(backend.ocppUrl, 'CP-TIME', []);
    const status = await charger.call('s1', 'StatusNotification', {
      connectorId: 1,
      status: 'Available',
      errorCode: 'NoError',
      timestamp: '2025-03-01T10:00:00+03',
    });
    assert.equal(status[0], 3);
    await backend.api('PUT', '/api/id-tags/TIMETAG', { status: 'Accepted' });
    const start = await charger.call('s2', 'StartTransaction', {
      connectorId: 1,
      idTag: 'TIMETAG',
      meterStart: 100,
      timestamp: '2025-03-01T10:05:00',
    });
    assert.equal(start[0], 3);
    const { transactionId } = start[2] as { transactionId: number };
    const chargePoint = await backend.api('GET', '/api/charge-points/CP-TIME');
    assert.equal(chargePoint.body.connectors[0].timestamp, '2025-03-01T07:00:00.000Z');
    const transaction = await backend.api('GET', `/api/transactions/${transactionId}`);
    assert.equal(transaction.body.startTime, '2025-03-01T10:05:00.000Z', 'no zone is read as UTC');
    charger.close();
  });

  it('replaces the first connection when a second one arrives with the same id', async () => {
    const first = await connectCharger(backend.ocppUrl, 'CP-DUP');
    const firstClosed = new Promise<{ code: number }>((resolve) => first.once('close', resolve));
    const second = await connectCharger(backend.ocppUrl, 'CP-DUP');
    const closed = await firstClosed;
    assert.equal(closed.code, 1000);
    assert.deepEqual(
      await backend.handle.connections.connectedIds().then((ids) => ids.filter((id) => id === 'CP-DUP')),
      ['CP-DUP'],
    );
    // Commands reach the new connection; the old one's close did not unregister it.
    second.handle('ClearCache', async () => ({ status: 'Accepted' }));
    const answer = await backend.api('POST', '/api/charge-points/CP-DUP/clear-cache', {});
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { status: 'Accepted' });
    await second.close();
    await waitFor('CP-DUP to disconnect', async () => !(await backend.handle.connections.isConnected('CP-DUP')), {
      timeoutMs: 3000,
    });
  });

  it('counts connections and messages in /metrics', async () => {
    const charger = await connectCharger(backend.ocppUrl, 'CP-METRICS');
    await charger.call('Heartbeat', {});
    const metrics = { body: await backend.metrics() };
    assert.match(metrics.body, /ocpp_edge_connected_charge_points\{process="backend"\} [1-9]/);
    assert.match(
      metrics.body,
      /ocpp_edge_ocpp_messages_total\{action="Heartbeat",direction="in",process="backend"\} [1-9]/,
    );
    assert.match(
      metrics.body,
      /ocpp_edge_ocpp_handler_duration_seconds_count\{process="backend",action="Heartbeat",outcome="ok"\} [1-9]/,
    );
    assert.match(metrics.body, /ocpp_edge_http_requests_total\{/);
    await charger.close();
  });
});

describe('OCPP frame logging', () => {
  it('logs every frame in and out at debug level with the charge point id', async (t) => {
    const storage = (await createStorage('sqlite', t))!;
    const logLines: Array<Record<string, unknown>> = [];
    const backend = await startTestBackend({ database: storage.url, 'log-level': 'debug' }, { logLines });
    try {
      const charger = await RawCharger.connect(backend.ocppUrl, 'CP-LOGGED', []);
      await charger.call('hb-1', 'Heartbeat', {});
      const frames = logLines.filter(
        (line) => line.chargePointId === 'CP-LOGGED' && line.level === 20 && 'frame' in line,
      );
      assert.deepEqual(
        frames.map((line) => [line.direction, JSON.parse(String(line.frame))[1]]),
        [
          ['in', 'hb-1'],
          ['out', 'hb-1'],
        ],
      );
      charger.close();
    } finally {
      await backend.stop();
      await storage.cleanup();
    }
  });
});

describe('OCPP endpoint with --require-subprotocol', () => {
  it('refuses a client offering no subprotocol with 400 and serves one offering ocpp1.6', async (t) => {
    const storage = (await createStorage('sqlite', t))!;
    const backend = await startTestBackend({ database: storage.url, 'require-subprotocol': true });
    try {
      assert.equal(await upgradeStatus(backend.ocppUrl, 'CP-R1', { protocols: [] }), 400);
      assert.equal(await upgradeStatus(backend.ocppUrl, 'CP-R2', { protocols: ['ocpp1.6'] }), 101);
    } finally {
      await backend.stop();
      await storage.cleanup();
    }
  });
});
