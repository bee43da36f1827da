// The simulator's OCPP 2.0.1 charging station against the real backend: it answers the central system's calls made
// through the REST API like a station would (remote start and stop, reset, availability, unlock, trigger, its device
// model through Get/SetVariables and GetBaseReport, the charging profiles it keeps), and a transaction that ends
// while the backend is away is sent after the reconnect flagged offline.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestBackend, type TestBackend } from '../../support/backend-instance.js';
import { startSimulatedCharger, type TestSimulatedCharger } from '../../support/simulated-charger.js';
import { waitFor } from '../../support/waiting.js';

interface TransactionEvent {
  seqNo: number;
  eventType: string;
  triggerReason: string;
  offline: boolean;
}

describe('the simulated OCPP 2.0.1 charging station', { timeout: 60_000 }, () => {
  let dir: string;
  let backend: TestBackend;
  let station: TestSimulatedCharger;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-station-201-'));
    backend = await startTestBackend({ database: `sqlite:${path.join(dir, 'ocpp.db')}` });
    station = await startSimulatedCharger(backend.ocppUrl, 'STATION-201', { ocppVersion: '2.0.1' });
  });

  after(async () => {
    await station?.stop();
    await backend?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const command = (route: string, body: unknown) =>
    backend.api('POST', `/api/charge-points/STATION-201/${route}`, body);

  async function transactionsOf(id: string) {
    const listed = await backend.api('GET', '/api/transactions?limit=1000');
    return (listed.body as Array<{ id: number; chargePointId: string; stopTime: string | null }>).filter(
      (transaction) => transaction.chargePointId === id,
    );
  }

  test('boots over ocpp2.0.1 with reason PowerUp and reports its EVSE connector', async () => {
    const charger = await backend.api('GET', '/api/charge-points/STATION-201');
    assert.equal(charger.body.ocppVersion, '2.0.1');
    assert.equal(charger.body.bootReason, 'PowerUp');
    await waitFor('EVSE 1 status stored', async () => {
      const history = await backend.api('GET', '/api/charge-points/STATION-201/status-history');
      return (history.body as Array<{ evseConnectorId?: number; status: string }>).some(
        (entry) => entry.evseConnectorId === 1 && entry.status === 'Available',
      );
    });
  });

  test('remote start and stop through the REST API run a transaction with remoteStartId and RemoteStop', async () => {
    await backend.api('PUT', '/api/id-tags/REMOTE-201', { status: 'Accepted' });
    const started = await command('remote-start', { idTag: 'REMOTE-201', connectorId: 1 });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    assert.equal(started.body.status, 'Accepted');
    const [transaction] = await waitFor('transaction started', async () => {
      const open = (await transactionsOf('STATION-201')).filter((entry) => !entry.stopTime);
      return open.length > 0 && open;
    });
    // Stored is not yet answered: the backend commits, syncs, then answers the Started event, and the station
    // holds its transaction from that answer on.
    await waitFor('the station holds its transaction', () => station.charger.transactionId() !== undefined);
    const stopped = await command('remote-stop', { transactionId: transaction!.id });
    assert.equal(stopped.body.status, 'Accepted');
    const detail = await waitFor('transaction ended', async () => {
      const body = (await backend.api('GET', `/api/transactions/${transaction!.id}`)).body;
      return body.stopTime && body;
    });
    assert.equal(detail.stopReason, 'Remote');
    assert.equal(detail.idTokenType, 'Central');
    assert.ok(detail.remoteStartId > 0);
    const events = detail.events as TransactionEvent[];
    assert.equal(events[0]!.triggerReason, 'RemoteStart');
    assert.equal(events.at(-1)!.triggerReason, 'RemoteStop');
    // A second stop for the same transaction is refused, as a station would.
    assert.equal((await command('remote-stop', { transactionId: transaction!.id })).body.status, 'Rejected');
  });

  test('GetVariables and SetVariables act on its own device model', async () => {
    const heartbeat = { component: { name: 'OCPPCommCtrlr' }, variable: { name: 'HeartbeatInterval' } };
    const set = await command('set-variables', {
      setVariableData: [
        { ...heartbeat, attributeValue: '120' },
        { component: { name: 'SecurityCtrlr' }, variable: { name: 'SecurityProfile' }, attributeValue: '3' },
        { component: { name: 'NoSuchCtrlr' }, variable: { name: 'X' }, attributeValue: '1' },
        { ...heartbeat, attributeValue: 'soon' },
      ],
    });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.deepEqual(
      set.body.setVariableResult.map((result: { attributeStatus: string }) => result.attributeStatus),
      ['Accepted', 'Rejected', 'UnknownComponent', 'Rejected'],
    );
    // The variable is the station's heartbeat setting (the 1.6 key of the same meaning).
    assert.equal(station.charger.configuration.integer('HeartbeatInterval'), 120);
    const get = await command('get-variables', {
      getVariableData: [
        heartbeat,
        { component: { name: 'OCPPCommCtrlr' }, variable: { name: 'NoSuchVariable' } },
        { component: { name: 'EVSE', evse: { id: 1 } }, variable: { name: 'AvailabilityState' } },
      ],
    });
    assert.deepEqual(
      get.body.getVariableResult.map((result: { attributeStatus: string; attributeValue?: string }) => [
        result.attributeStatus,
        result.attributeValue,
      ]),
      [
        ['Accepted', '120'],
        ['UnknownVariable', undefined],
        ['Accepted', 'Available'],
      ],
    );
  });

  test('GetBaseReport FullInventory arrives as NotifyReport parts and fills the device model the API shows', async () => {
    const before = station.stats.action('NotifyReport').ok;
    const answer = await command('get-base-report', { requestId: 7, reportBase: 'FullInventory' });
    assert.equal(answer.body.status, 'Accepted');
    const expected = station.charger.deviceModel.report('FullInventory').length;
    const parts = Math.ceil(expected / station.charger.deviceModel.itemsPerMessage('GetReport'));
    assert.ok(parts >= 2, 'the report is long enough to come in parts');
    await waitFor('every part sent', () => station.stats.action('NotifyReport').ok - before === parts);
    const variables = await waitFor('variables stored', async () => {
      const listed = (await backend.api('GET', '/api/charge-points/STATION-201/variables')).body as Array<{
        component: string;
        variable: string;
        value?: string;
      }>;
      return listed.length >= expected && listed;
    });
    const entries = variables.find((entry) => entry.component === 'LocalAuthListCtrlr' && entry.variable === 'Entries');
    // How many tokens its local list holds when it reported (the local list sync may be sending one meanwhile).
    assert.match(entries?.value ?? '', /^\d+$/);
    assert.ok(
      variables.some((entry) => entry.component === 'SmartChargingCtrlr' && entry.variable === 'ProfileStackLevel'),
    );
  });

  test('keeps the charging profiles it is given, and clears them', async () => {
    const profile = (id: number, stackLevel: number) => ({
      evseId: 1,
      chargingProfile: {
        id,
        stackLevel,
        chargingProfilePurpose: 'TxDefaultProfile',
        chargingProfileKind: 'Absolute',
        chargingSchedule: [
          {
            id,
            startSchedule: new Date().toISOString(),
            chargingRateUnit: 'A',
            chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }],
          },
        ],
      },
    });
    assert.equal((await command('set-charging-profile', profile(11, 1))).body.status, 'Accepted');
    assert.equal((await command('set-charging-profile', profile(12, 2))).body.status, 'Accepted');
    // The same purpose and stack level on the same EVSE replaces the profile there.
    assert.equal((await command('set-charging-profile', profile(13, 2))).body.status, 'Accepted');
    assert.deepEqual(
      station.charger.chargingProfiles.list().map((held) => held.profile.id),
      [11, 13],
    );
    assert.equal((await command('clear-charging-profile', { chargingProfileId: 11 })).body.status, 'Accepted');
    assert.equal((await command('clear-charging-profile', { chargingProfileId: 11 })).body.status, 'Unknown');
    assert.equal(station.charger.chargingProfiles.size, 1);
  });

  test('follows its profiles: the limit, its own SmartChargingCtrlr refusals, the composite schedule in 2.0.1 shape', async () => {
    const profile = (id: number, stackLevel: number, limit: number, periods = 1) => ({
      evseId: 0,
      chargingProfile: {
        id,
        stackLevel,
        chargingProfilePurpose: 'TxDefaultProfile',
        chargingProfileKind: 'Absolute',
        chargingSchedule: [
          {
            id,
            startSchedule: new Date(Date.now() - 1000).toISOString(),
            chargingRateUnit: 'A',
            chargingSchedulePeriod: Array.from({ length: periods }, (_, i) => ({ startPeriod: i * 60, limit })),
          },
        ],
      },
    });
    // What the test before left (if it ran).
    await command('clear-charging-profile', { chargingProfileId: 13 });
    assert.equal(station.charger.currentLimitA(), 32, 'no profile: its maximum');
    assert.equal((await command('set-charging-profile', profile(21, 3, 12))).body.status, 'Accepted');
    assert.equal(station.charger.currentLimitA(), 12);
    // Refused by the station: above SmartChargingCtrlr.ProfileStackLevel (8); more periods than PeriodsPerSchedule (24).
    assert.equal((await command('set-charging-profile', profile(22, 9, 20))).body.status, 'Rejected');
    assert.equal((await command('set-charging-profile', profile(23, 4, 20, 25))).body.status, 'Rejected');
    assert.equal(station.charger.currentLimitA(), 12, 'the refused ones do not apply');
    const composite = await backend.api(
      'GET',
      '/api/charge-points/STATION-201/composite-schedule?connectorId=1&duration=300&unit=A',
    );
    assert.equal(composite.status, 200, JSON.stringify(composite.body));
    assert.equal(composite.body.status, 'Accepted');
    assert.equal(composite.body.connectorId, 1);
    assert.equal(composite.body.chargingSchedule.chargingSchedulePeriod[0].limit, 12);
    assert.equal((await command('clear-charging-profile', { chargingProfileId: 21 })).body.status, 'Accepted');
    assert.equal(station.charger.currentLimitA(), 32, 'cleared: its maximum again');
  });

  test('answers availability, unlock and trigger, and reboots with reason RemoteReset on Reset', async () => {
    assert.equal(
      (await command('change-availability', { operationalStatus: 'Inoperative', evse: { id: 1 } })).body.status,
      'Accepted',
    );
    await waitFor('Unavailable stored', async () => {
      const connectors = (await backend.api('GET', '/api/charge-points/STATION-201')).body.connectors as Array<{
        connectorId: number;
        status: string;
      }>;
      return connectors?.some((connector) => connector.connectorId === 1 && connector.status === 'Unavailable');
    });
    assert.equal((await command('change-availability', { operationalStatus: 'Operative' })).body.status, 'Accepted');
    assert.equal((await command('unlock-connector', { evseId: 1, connectorId: 1 })).body.status, 'Unlocked');
    assert.equal((await command('unlock-connector', { evseId: 2, connectorId: 1 })).body.status, 'UnknownConnector');
    const heartbeats = station.stats.action('Heartbeat').ok;
    assert.equal((await command('trigger-message', { requestedMessage: 'Heartbeat' })).body.status, 'Accepted');
    await waitFor('triggered heartbeat', () => station.stats.action('Heartbeat').ok > heartbeats);
    assert.equal(
      (await command('trigger-message', { requestedMessage: 'SignV2GCertificate' })).body.status,
      'NotImplemented',
    );

    assert.equal((await command('reset', { type: 'Immediate' })).body.status, 'Accepted');
    await station.booted(2);
    await waitFor('boot reason RemoteReset', async () => {
      return (await backend.api('GET', '/api/charge-points/STATION-201')).body.bootReason === 'RemoteReset';
    });
  });

  test('a transaction that ends while the central system is away is sent after the reconnect with offline: true', async () => {
    const port = backend.handle.port;
    const offline = await startSimulatedCharger(backend.ocppUrl, 'OFFLINE-201', {
      ocppVersion: '2.0.1',
      runTransactions: true,
      transactionDurationSec: 1.5,
      transactionPauseSec: 3600,
      idTag: 'OFFLINE-201',
    });
    try {
      await backend.api('PUT', '/api/id-tags/OFFLINE-201', { status: 'Accepted' });
      // runTransactions waits transactionPause (±50%) before the first session: ask for one now instead.
      assert.equal(
        (await backend.api('POST', '/api/charge-points/OFFLINE-201/remote-start', { idTag: 'OFFLINE-201' })).body
          .status,
        'Accepted',
      );
      await waitFor('transaction open', async () => (await transactionsOf('OFFLINE-201')).length === 1);
      // The central system goes away for longer than the session lasts, and comes back on the same port.
      await backend.stop();
      await new Promise((resolve) => setTimeout(resolve, 2000));
      backend = await startTestBackend({ database: `sqlite:${path.join(dir, 'ocpp.db')}`, port });
      const [transaction] = await waitFor(
        'transaction ended after the reconnect',
        async () => {
          const all = await transactionsOf('OFFLINE-201');
          return all.length === 1 && all[0]!.stopTime && all;
        },
        { timeoutMs: 15_000 },
      );
      const events = (await backend.api('GET', `/api/transactions/${transaction!.id}`)).body
        .events as TransactionEvent[];
      const ended = events.find((event) => event.eventType === 'Ended');
      assert.equal(ended?.offline, true);
      assert.equal(events.find((event) => event.eventType === 'Started')?.offline, false);
      assert.ok(offline.stats.reconnects >= 1);
    } finally {
      await offline.stop();
    }
  });
});
