// The REST commands reach an OCPP 2.0.1 charger on the same routes as a 1.6 one: its own 2.0.1 payload passes as it
// is, a 1.6 body is translated, GetVariables/SetVariables answers go into the device model, and POST …/call takes
// any 2.0.1 call, each validated against the 2.0.1 schemas.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RPCClient } from 'ocpp-rpc';
import { startTestBackend, type TestBackend } from '../../support/backend-instance.js';
import { connectCharger } from '../../support/ocpp-chargers.js';
import { createStorage, type StorageTarget } from '../../support/storage-targets.js';

describe('REST commands to an OCPP 2.0.1 charger', () => {
  let storage: StorageTarget;
  let backend: TestBackend;
  let charger: RPCClient;
  const received: Array<{ action: string; params: any }> = [];
  const answers: Record<string, unknown> = {
    RequestStartTransaction: { status: 'Accepted' },
    RequestStopTransaction: { status: 'Accepted' },
    Reset: { status: 'Scheduled' },
    ChangeAvailability: { status: 'Accepted' },
    ClearCache: { status: 'Accepted' },
    UnlockConnector: { status: 'Unlocked' },
    TriggerMessage: { status: 'Accepted' },
    GetLog: { status: 'Accepted', filename: 'log.tar' },
    UpdateFirmware: { status: 'Accepted' },
    SetChargingProfile: { status: 'Accepted' },
    ClearChargingProfile: { status: 'Accepted' },
    GetBaseReport: { status: 'Accepted' },
    GetTransactionStatus: { messagesInQueue: false, ongoingIndicator: true },
    GetVariables: {
      getVariableResult: [
        {
          attributeStatus: 'Accepted',
          attributeValue: '120',
          component: { name: 'OCPPCommCtrlr' },
          variable: { name: 'HeartbeatInterval' },
        },
        { attributeStatus: 'UnknownVariable', component: { name: 'Nope' }, variable: { name: 'Nothing' } },
      ],
    },
    SetVariables: {
      setVariableResult: [
        {
          attributeStatus: 'Accepted',
          component: { name: 'TxCtrlr' },
          variable: { name: 'EVConnectionTimeOut' },
        },
      ],
    },
  };
  const last = (action: string) => received.filter((call) => call.action === action).at(-1)?.params;

  before(async (t) => {
    storage = (await createStorage('sqlite', t as never))!;
    backend = await startTestBackend({ database: storage.url });
    charger = await connectCharger(backend.ocppUrl, 'CS-CMD', { protocols: ['ocpp2.0.1'] });
    for (const [action, answer] of Object.entries(answers)) {
      charger.handle(action, async ({ params }) => {
        received.push({ action, params });
        return answer as Record<string, unknown>;
      });
    }
    await charger.call('TransactionEvent', {
      eventType: 'Started',
      timestamp: new Date().toISOString(),
      triggerReason: 'Authorized',
      seqNo: 0,
      evse: { id: 1, connectorId: 1 },
      idToken: { idToken: 'TAG', type: 'ISO14443' },
      transactionInfo: { transactionId: 'CS-TX-9' },
    });
  });
  after(async () => {
    await charger?.close();
    await backend?.stop();
    await storage?.cleanup();
  });

  const post = (route: string, body: unknown) => backend.api('POST', `/api/charge-points/CS-CMD/${route}`, body);

  it('remote start and stop: the 1.6 body translated, the 2.0.1 body as it is', async () => {
    const start = await post('remote-start', { connectorId: 1, idTag: 'TAG' });
    assert.equal(start.status, 200);
    assert.deepEqual(start.body, { status: 'Accepted' });
    const sent = last('RequestStartTransaction');
    assert.deepEqual(sent.idToken, { idToken: 'TAG', type: 'Central' });
    assert.equal(sent.evseId, 1);
    assert.ok(Number.isInteger(sent.remoteStartId) && sent.remoteStartId > 0, 'a remoteStartId is generated');

    await post('remote-start', { idToken: { idToken: 'EMAID1', type: 'eMAID' }, remoteStartId: 42 });
    assert.deepEqual(last('RequestStartTransaction'), {
      idToken: { idToken: 'EMAID1', type: 'eMAID' },
      remoteStartId: 42,
    });

    const ours = (await backend.api('GET', '/api/transactions?chargePointId=CS-CMD')).body[0];
    assert.equal((await post('remote-stop', { transactionId: ours.id })).status, 200);
    assert.deepEqual(last('RequestStopTransaction'), { transactionId: 'CS-TX-9' }, 'our id → the charger’s');
    await post('remote-stop', { transactionId: 'CS-TX-9' });
    assert.deepEqual(last('RequestStopTransaction'), { transactionId: 'CS-TX-9' });
    const unknown = await post('remote-stop', { transactionId: 999999 });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.message, /not an OCPP 2\.0\.1 transaction of CS-CMD/);
  });

  it('reset, availability, unlock, trigger, firmware and logs map onto their 2.0.1 requests', async () => {
    await post('reset', { type: 'Hard' });
    assert.deepEqual(last('Reset'), { type: 'Immediate' });
    await post('reset', { type: 'OnIdle', evseId: 2 });
    assert.deepEqual(last('Reset'), { type: 'OnIdle', evseId: 2 });
    await post('change-availability', { connectorId: 2, type: 'Inoperative' });
    assert.deepEqual(last('ChangeAvailability'), { operationalStatus: 'Inoperative', evse: { id: 2 } });
    await post('change-availability', { connectorId: 0, type: 'Operative' });
    assert.deepEqual(last('ChangeAvailability'), { operationalStatus: 'Operative' });
    assert.deepEqual((await post('unlock-connector', { connectorId: 1 })).body, { status: 'Unlocked' });
    assert.deepEqual(last('UnlockConnector'), { evseId: 1, connectorId: 1 });
    await post('trigger-message', { requestedMessage: 'DiagnosticsStatusNotification' });
    assert.deepEqual(last('TriggerMessage'), { requestedMessage: 'LogStatusNotification' });
    await post('update-firmware', {
      location: 'https://fw.example/1.bin',
      retrieveDate: '2026-01-01T00:00:00Z',
      retries: 2,
    });
    const firmware = last('UpdateFirmware');
    assert.deepEqual(firmware.firmware, {
      location: 'https://fw.example/1.bin',
      retrieveDateTime: '2026-01-01T00:00:00Z',
    });
    assert.equal(firmware.retries, 2);
    const log = await post('get-diagnostics', { location: 'ftp://logs.example/up' });
    assert.deepEqual(log.body, { status: 'Accepted', filename: 'log.tar' });
    assert.equal(last('GetLog').logType, 'DiagnosticsLog');
    assert.deepEqual(last('GetLog').log, { remoteLocation: 'ftp://logs.example/up' });
  });

  it('charging profiles for the load management: a 1.6 profile becomes a 2.0.1 one', async () => {
    const profile = await post('set-charging-profile', {
      connectorId: 1,
      csChargingProfiles: {
        chargingProfileId: 5,
        stackLevel: 1,
        chargingProfilePurpose: 'ChargePointMaxProfile',
        chargingProfileKind: 'Absolute',
        chargingSchedule: {
          chargingRateUnit: 'A',
          startSchedule: '2026-01-01T00:00:00Z',
          chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }],
        },
      },
    });
    assert.equal(profile.status, 200);
    assert.deepEqual(last('SetChargingProfile'), {
      evseId: 1,
      chargingProfile: {
        id: 5,
        stackLevel: 1,
        chargingProfilePurpose: 'ChargingStationMaxProfile',
        chargingProfileKind: 'Absolute',
        chargingSchedule: [
          {
            id: 5,
            chargingRateUnit: 'A',
            startSchedule: '2026-01-01T00:00:00Z',
            chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }],
          },
        ],
      },
    });
    await post('clear-charging-profile', { connectorId: 1, chargingProfilePurpose: 'TxDefaultProfile' });
    assert.deepEqual(last('ClearChargingProfile'), {
      chargingProfileCriteria: { evseId: 1, chargingProfilePurpose: 'TxDefaultProfile' },
    });
  });

  it('GetVariables and SetVariables answers land in the device model; GetBaseReport is sent', async () => {
    const read = await post('get-variables', {
      getVariableData: [
        { component: { name: 'OCPPCommCtrlr' }, variable: { name: 'HeartbeatInterval' } },
        { component: { name: 'Nope' }, variable: { name: 'Nothing' } },
      ],
    });
    assert.equal(read.status, 200);
    assert.equal(read.body.getVariableResult.length, 2);
    await post('set-variables', {
      setVariableData: [
        { attributeValue: '90', component: { name: 'TxCtrlr' }, variable: { name: 'EVConnectionTimeOut' } },
      ],
    });
    const variables = (await backend.api('GET', '/api/charge-points/CS-CMD/variables')).body;
    const value = (name: string) => variables.find((v: { variable: string }) => v.variable === name);
    assert.deepEqual([value('HeartbeatInterval').value, value('HeartbeatInterval').source], ['120', 'GetVariables']);
    assert.deepEqual([value('EVConnectionTimeOut').value, value('EVConnectionTimeOut').source], ['90', 'SetVariables']);
    assert.equal(value('Nothing'), undefined, 'a variable the charger does not know is not stored');
    assert.deepEqual((await post('get-base-report', { requestId: 3, reportBase: 'FullInventory' })).body, {
      status: 'Accepted',
    });
    const invalid = await post('get-variables', { getVariableData: [] });
    assert.equal(invalid.status, 400, 'validated against the 2.0.1 schema');
  });

  it('POST …/call takes any 2.0.1 call; 1.6-only routes and actions get a 400 that says what to use', async () => {
    const status = await post('call', { action: 'GetTransactionStatus', payload: { transactionId: 'CS-TX-9' } });
    assert.equal(status.status, 200);
    assert.deepEqual(status.body, { messagesInQueue: false, ongoingIndicator: true });
    const bad = await post('call', { action: 'Reset', payload: { type: 'Hard' } });
    assert.equal(bad.status, 400, 'Hard is a 1.6 reset type');
    const old = await post('call', { action: 'RemoteStartTransaction', payload: { idTag: 'X' } });
    assert.equal(old.status, 400);
    const configuration = await post('configuration', { operation: 'get' });
    assert.equal(configuration.status, 400);
    assert.match(configuration.body.message, /get-variables/);
    const nonsense = await post('reset', { type: 'Gentle' });
    assert.equal(nonsense.status, 400);
  });

  it('GetVariables on a 1.6 charger is refused with 400', async () => {
    const legacy = await connectCharger(backend.ocppUrl, 'CP-16-CMD');
    const answer = await backend.api('POST', '/api/charge-points/CP-16-CMD/get-variables', {
      getVariableData: [{ component: { name: 'OCPPCommCtrlr' }, variable: { name: 'HeartbeatInterval' } }],
    });
    assert.equal(answer.status, 400);
    assert.match(answer.body.message, /2\.0\.1/);
    await legacy.close();
  });
});
