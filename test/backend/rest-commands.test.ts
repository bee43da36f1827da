// Commands to a charger through the REST API, end to end with an ocpp-rpc charger answering: each command's
// round trip, the generic call validated by strict mode, and 404/409/502/504.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRPCError, type RPCClient } from 'ocpp-rpc';
import { startTestBackend, type TestBackend } from '../support/backend-instance.js';
import { connectCharger } from '../support/ocpp-chargers.js';
import { createStorage, type StorageTarget } from '../support/storage-targets.js';
import { waitFor } from '../support/waiting.js';

describe('REST commands to a charger', () => {
  let storage: StorageTarget;
  let backend: TestBackend;
  let charger: RPCClient;
  const received: Array<{ action: string; params: unknown }> = [];

  before(async (t) => {
    storage = (await createStorage('sqlite', t as never))!;
    backend = await startTestBackend({ database: storage.url, 'call-timeout': 1 });
    charger = await connectCharger(backend.ocppUrl, 'CP-CMD');
    const answer = (action: string, result: Record<string, unknown>) =>
      charger.handle(action, async ({ params }) => {
        received.push({ action, params });
        return result;
      });
    answer('RemoteStartTransaction', { status: 'Accepted' });
    answer('RemoteStopTransaction', { status: 'Accepted' });
    answer('Reset', { status: 'Accepted' });
    answer('ChangeAvailability', { status: 'Scheduled' });
    answer('ClearCache', { status: 'Accepted' });
    answer('UnlockConnector', { status: 'Unlocked' });
    answer('GetDiagnostics', { fileName: 'diag-2025.zip' });
    answer('UpdateFirmware', {});
    answer('ChangeConfiguration', { status: 'RebootRequired' });
    answer('GetConfiguration', {
      configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '300' }],
      unknownKey: ['Nope'],
    });
    answer('GetLocalListVersion', { listVersion: 7 });
    charger.handle('TriggerMessage', async ({ params }) => {
      received.push({ action: 'TriggerMessage', params });
      // As a real charger does: accept, then send the requested message.
      setImmediate(() => void charger.call('Heartbeat', {}));
      return { status: 'Accepted' };
    });
    charger.handle('CancelReservation', async () => {
      throw createRPCError('NotSupported', 'no reservations here');
    });
    charger.handle('SetChargingProfile', () => new Promise(() => {})); // never answers
  });
  after(async () => {
    await charger?.close({ force: true });
    await backend?.stop();
    await storage?.cleanup();
  });

  const cases: Array<[string, Record<string, unknown>, string, Record<string, unknown>]> = [
    ['remote-start', { connectorId: 1, idTag: 'RFID-9' }, 'RemoteStartTransaction', { status: 'Accepted' }],
    ['remote-stop', { transactionId: 42 }, 'RemoteStopTransaction', { status: 'Accepted' }],
    ['reset', { type: 'Soft' }, 'Reset', { status: 'Accepted' }],
    ['change-availability', { connectorId: 0, type: 'Inoperative' }, 'ChangeAvailability', { status: 'Scheduled' }],
    ['clear-cache', {}, 'ClearCache', { status: 'Accepted' }],
    ['unlock-connector', { connectorId: 2 }, 'UnlockConnector', { status: 'Unlocked' }],
    ['get-diagnostics', { location: 'ftp://diag.example.com/upload' }, 'GetDiagnostics', { fileName: 'diag-2025.zip' }],
    [
      'update-firmware',
      { location: 'https://fw.example.com/v2.bin', retrieveDate: '2025-06-01T00:00:00Z' },
      'UpdateFirmware',
      {},
    ],
  ];
  for (const [route, body, action, answer] of cases) {
    it(`POST …/${route} sends ${action} and returns the charger's answer`, async () => {
      received.length = 0;
      const response = await backend.api('POST', `/api/charge-points/CP-CMD/${route}`, body);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.deepEqual(response.body, answer);
      assert.deepEqual(received, [{ action, params: body }]);
    });
  }

  it('POST …/trigger-message: the charger accepts and sends the triggered message', async () => {
    const before = (await backend.api('GET', '/api/charge-points/CP-CMD')).body.lastHeartbeat;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const response = await backend.api('POST', '/api/charge-points/CP-CMD/trigger-message', {
      requestedMessage: 'Heartbeat',
    });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { status: 'Accepted' });
    await waitFor(
      'triggered heartbeat',
      async () => (await backend.api('GET', '/api/charge-points/CP-CMD')).body.lastHeartbeat !== before,
      { timeoutMs: 3000 },
    );
  });

  it('POST …/configuration reads and changes configuration', async () => {
    const read = await backend.api('POST', '/api/charge-points/CP-CMD/configuration', {
      operation: 'get',
      keys: ['HeartbeatInterval', 'Nope'],
    });
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, {
      configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '300' }],
      unknownKey: ['Nope'],
    });
    assert.deepEqual(received.at(-1), { action: 'GetConfiguration', params: { key: ['HeartbeatInterval', 'Nope'] } });
    const change = await backend.api('POST', '/api/charge-points/CP-CMD/configuration', {
      operation: 'change',
      key: 'HeartbeatInterval',
      value: '60',
    });
    assert.equal(change.status, 200);
    assert.deepEqual(change.body, { status: 'RebootRequired' });
    const incomplete = await backend.api('POST', '/api/charge-points/CP-CMD/configuration', {
      operation: 'change',
      key: 'HeartbeatInterval',
    });
    assert.equal(incomplete.status, 400);
    assert.match(incomplete.body.message, /value/);
  });

  it('POST …/call sends any OCPP 1.6 action, validated by strict mode', async () => {
    const ok = await backend.api('POST', '/api/charge-points/CP-CMD/call', {
      action: 'GetLocalListVersion',
      payload: {},
    });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { listVersion: 7 });
    const invalid = await backend.api('POST', '/api/charge-points/CP-CMD/call', {
      action: 'Reset',
      payload: { type: 'Gentle' },
    });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.code, 'FormationViolation');
    const missing = await backend.api('POST', '/api/charge-points/CP-CMD/call', {
      action: 'RemoteStopTransaction',
      payload: {},
    });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.code, 'OccurrenceConstraintViolation');
    const unknown = await backend.api('POST', '/api/charge-points/CP-CMD/call', { action: 'Heartbeat', payload: {} });
    assert.equal(unknown.status, 400, 'a charger-to-central-system action cannot be sent to a charger');
  });

  it('rejects invalid command bodies with 400 naming the field', async () => {
    const response = await backend.api('POST', '/api/charge-points/CP-CMD/remote-start', { connectorId: 1 });
    assert.equal(response.status, 400);
    assert.match(response.body.message, /idTag/);
    const extra = await backend.api('POST', '/api/charge-points/CP-CMD/reset', { type: 'Hard', now: true });
    assert.equal(extra.status, 400);
    assert.match(extra.body.message, /additional properties/);
  });

  it('502 when the charger answers with a CALLERROR', async () => {
    const response = await backend.api('POST', '/api/charge-points/CP-CMD/call', {
      action: 'CancelReservation',
      payload: { reservationId: 1 },
    });
    assert.equal(response.status, 502);
    assert.equal(response.body.code, 'NotSupported');
  });

  it('504 when the charger does not answer within --call-timeout', async () => {
    const started = Date.now();
    const response = await backend.api('POST', '/api/charge-points/CP-CMD/call', {
      action: 'SetChargingProfile',
      payload: {
        connectorId: 1,
        csChargingProfiles: {
          chargingProfileId: 1,
          stackLevel: 0,
          chargingProfilePurpose: 'TxDefaultProfile',
          chargingProfileKind: 'Absolute',
          chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }] },
        },
      },
    });
    assert.equal(response.status, 504);
    assert.equal(response.body.error, 'Timeout');
    assert.ok(Date.now() - started >= 900 && Date.now() - started < 3000);
  });

  it('409 when the charger goes away while a command waits for its answer', async () => {
    const vanishing = await connectCharger(backend.ocppUrl, 'CP-VANISH');
    vanishing.handle('Reset', async () => {
      setImmediate(() => void vanishing.close({ force: true }));
      return new Promise(() => {});
    });
    const response = await backend.api('POST', '/api/charge-points/CP-VANISH/reset', { type: 'Hard' });
    assert.equal(response.status, 409);
    assert.equal(response.body.error, 'NotConnected');
  });

  it('409 for a registered charge point that is not connected, 404 for an unknown one', async () => {
    await backend.api('PUT', '/api/charge-points/CP-OFFLINE', {});
    const offline = await backend.api('POST', '/api/charge-points/CP-OFFLINE/reset', { type: 'Soft' });
    assert.equal(offline.status, 409);
    assert.equal(offline.body.error, 'NotConnected');
    const unknown = await backend.api('POST', '/api/charge-points/CP-NOBODY/reset', { type: 'Soft' });
    assert.equal(unknown.status, 404);
    assert.equal((await backend.api('GET', '/api/charge-points/CP-NOBODY')).status, 404);
    assert.equal((await backend.api('GET', '/api/transactions/999999')).status, 404);
  });
});
