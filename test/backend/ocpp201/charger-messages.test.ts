// What an OCPP 2.0.1 charger sends, as the store and the REST API keep it: boot with its reason, status per EVSE
// and connector, authorization by IdToken type, TransactionEvent mapped onto the same transactions and meter values
// as OCPP 1.6 (idempotent by seqNo, ids unique per charger, listed beside 1.6 transactions), meter values, the
// device model and events, firmware and log status. On SQLite and PostgreSQL.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RPCClient } from 'ocpp-rpc';
import { withBackend } from '../../support/backend-instance.js';
import { connectCharger } from '../../support/ocpp-chargers.js';
import { STORAGE_NAMES } from '../../support/storage-targets.js';

const at = (minute: number) => `2026-06-01T12:${String(minute).padStart(2, '0')}:00.000Z`;

function charger201(ocppUrl: string, id: string): Promise<RPCClient> {
  return connectCharger(ocppUrl, id, { protocols: ['ocpp2.0.1'] });
}

/** Energy register reading as a 2.0.1 meter value: kWh with a multiplier, as many meters send it. */
function register(minute: number, kWh: number, context: string) {
  return {
    timestamp: at(minute),
    sampledValue: [
      {
        value: kWh,
        context,
        measurand: 'Energy.Active.Import.Register',
        unitOfMeasure: { unit: 'kWh', multiplier: 0 },
      },
      { value: 7.2, context, measurand: 'Power.Active.Import', unitOfMeasure: { unit: 'W', multiplier: 3 } },
    ],
  };
}

for (const dialect of STORAGE_NAMES) {
  describe(`OCPP 2.0.1 charger messages on ${dialect}`, () => {
    it('keeps the boot (with its reason), heartbeats and the status of each connector inside each EVSE', async (t) => {
      await withBackend(t, dialect, {}, async (backend) => {
        const charger = await charger201(backend.ocppUrl, 'CS-BOOT');
        const boot = (await charger.call('BootNotification', {
          reason: 'FirmwareUpdate',
          chargingStation: {
            vendorName: 'Vendor',
            model: 'Model 2',
            serialNumber: 'SN-1',
            firmwareVersion: '2.3.4',
            modem: { iccid: '8949', imsi: '2620' },
          },
        })) as { status: string; interval: number; currentTime: string };
        assert.equal(boot.status, 'Accepted');
        assert.equal(boot.interval, 300);
        await charger.call('Heartbeat', {});
        // EVSE 1 has two connectors (CCS and CHAdeMO): in use on one, the other turns Unavailable.
        await charger.call('StatusNotification', {
          timestamp: at(1),
          connectorStatus: 'Available',
          evseId: 1,
          connectorId: 1,
        });
        await charger.call('StatusNotification', {
          timestamp: at(2),
          connectorStatus: 'Occupied',
          evseId: 1,
          connectorId: 1,
        });
        await charger.call('StatusNotification', {
          timestamp: at(3),
          connectorStatus: 'Unavailable',
          evseId: 1,
          connectorId: 2,
        });
        await charger.call('StatusNotification', {
          timestamp: at(3),
          connectorStatus: 'Faulted',
          evseId: 2,
          connectorId: 1,
        });

        const view = (await backend.api('GET', '/api/charge-points/CS-BOOT')).body;
        assert.equal(view.ocppVersion, '2.0.1');
        assert.equal(view.bootReason, 'FirmwareUpdate');
        assert.equal(view.vendor, 'Vendor');
        assert.equal(view.model, 'Model 2');
        assert.equal(view.serialNumber, 'SN-1');
        assert.equal(view.firmwareVersion, '2.3.4');
        assert.equal(view.iccid, '8949');
        assert.equal(view.imsi, '2620');
        assert.ok(view.lastHeartbeat);
        assert.deepEqual(
          view.connectors.map((c: { connectorId: number; status: string }) => [c.connectorId, c.status]),
          [
            [1, 'Occupied'],
            [2, 'Faulted'],
          ],
          'one row per EVSE: busy while one of its connectors is in use',
        );
        assert.deepEqual(
          view.connectors[0].evseConnectors.map((c: { connectorId: number; status: string }) => [
            c.connectorId,
            c.status,
          ]),
          [
            [1, 'Occupied'],
            [2, 'Unavailable'],
          ],
        );
        const history = (await backend.api('GET', '/api/charge-points/CS-BOOT/status-history')).body;
        assert.equal(history.length, 4);
        assert.deepEqual(
          [history[1].connectorId, history[1].evseConnectorId, history[1].status, history[1].timestamp],
          [1, 2, 'Unavailable', at(3)],
        );
        await charger.close();
      });
    });

    it('authorizes by IdToken: Unknown, Accepted with its group, Blocked, Expired, and NoAuthorization', async (t) => {
      await withBackend(t, dialect, {}, async (backend) => {
        await backend.api('PUT', '/api/id-tags/EMAID-DE-ABC-123456789-0', {
          status: 'Accepted',
          parentIdTag: 'FLEET-1',
        });
        await backend.api('PUT', '/api/id-tags/BLOCKED01', { status: 'Blocked' });
        await backend.api('PUT', '/api/id-tags/OLD01', { status: 'Accepted', expiryDate: '2020-01-01T00:00:00Z' });
        const charger = await charger201(backend.ocppUrl, 'CS-AUTH');
        const verdict = async (idToken: string, type: string) =>
          ((await charger.call('Authorize', { idToken: { idToken, type } })) as { idTokenInfo: unknown }).idTokenInfo;
        assert.deepEqual(await verdict('NOBODY', 'ISO14443'), { status: 'Unknown' });
        assert.deepEqual(await verdict('EMAID-DE-ABC-123456789-0', 'eMAID'), {
          status: 'Accepted',
          groupIdToken: { idToken: 'FLEET-1', type: 'Central' },
        });
        assert.deepEqual(await verdict('BLOCKED01', 'ISO15693'), { status: 'Blocked' });
        assert.equal(((await verdict('OLD01', 'KeyCode')) as { status: string }).status, 'Expired');
        assert.deepEqual(await verdict('', 'NoAuthorization'), { status: 'Accepted' });
        await charger.close();
      });
    });

    it('maps TransactionEvent onto the transactions of 1.6: idempotent by seqNo, one list for both versions', async (t) => {
      await withBackend(t, dialect, {}, async (backend) => {
        await backend.api('PUT', '/api/id-tags/TOKEN-201', { status: 'Accepted' });
        const charger = await charger201(backend.ocppUrl, 'CS-TX');
        const legacy = await connectCharger(backend.ocppUrl, 'CP-16-TX');
        const started16 = (await legacy.call('StartTransaction', {
          connectorId: 1,
          idTag: 'TOKEN-201',
          meterStart: 100,
          timestamp: at(0),
        })) as { transactionId: number };

        const base = { transactionInfo: { transactionId: 'tx-abc-1' } };
        const startedAnswer = (await charger.call('TransactionEvent', {
          ...base,
          eventType: 'Started',
          timestamp: at(1),
          triggerReason: 'Authorized',
          seqNo: 0,
          idToken: { idToken: 'TOKEN-201', type: 'ISO14443' },
          evse: { id: 2, connectorId: 1 },
          transactionInfo: { transactionId: 'tx-abc-1', chargingState: 'EVConnected' },
          meterValue: [register(1, 12.5, 'Transaction.Begin')],
        })) as { idTokenInfo: { status: string } };
        assert.equal(startedAnswer.idTokenInfo.status, 'Accepted');

        const updated = {
          ...base,
          eventType: 'Updated',
          timestamp: at(10),
          triggerReason: 'MeterValuePeriodic',
          seqNo: 1,
          transactionInfo: { transactionId: 'tx-abc-1', chargingState: 'Charging' },
          meterValue: [register(10, 13.75, 'Sample.Periodic')],
        };
        assert.deepEqual(await charger.call('TransactionEvent', updated), {});
        // The answer was lost: the charger sends the same event again. Nothing is stored twice.
        assert.deepEqual(await charger.call('TransactionEvent', updated), {});

        // Offline: the charger queued an event while its connection was down and sends it late.
        await charger.call('TransactionEvent', {
          ...base,
          eventType: 'Updated',
          timestamp: at(20),
          triggerReason: 'ChargingStateChanged',
          seqNo: 2,
          offline: true,
          transactionInfo: { transactionId: 'tx-abc-1', chargingState: 'SuspendedEV' },
        });

        const list = (await backend.api('GET', '/api/transactions?active=true')).body;
        const running = list.find((tx: { chargerTransactionId: string }) => tx.chargerTransactionId === 'tx-abc-1');
        assert.ok(running, 'the 2.0.1 transaction is listed');
        assert.ok(
          list.some((tx: { id: number }) => tx.id === started16.transactionId),
          'beside the 1.6 one, in the same list',
        );
        assert.equal(running.ocppVersion, '2.0.1');
        assert.equal(running.connectorId, 2, 'the EVSE');
        assert.equal(running.evseConnectorId, 1);
        assert.equal(running.idTag, 'TOKEN-201');
        assert.equal(running.idTokenType, 'ISO14443');
        assert.equal(running.meterStart, 12500, 'kWh → Wh from the Transaction.Begin reading');
        assert.equal(running.chargingState, 'SuspendedEV');
        assert.equal(running.startTime, at(1));
        assert.equal(running.stopTime, null);

        const endedAnswer = await charger.call('TransactionEvent', {
          ...base,
          eventType: 'Ended',
          timestamp: at(30),
          triggerReason: 'StopAuthorized',
          seqNo: 3,
          idToken: { idToken: 'TOKEN-201', type: 'ISO14443' },
          transactionInfo: { transactionId: 'tx-abc-1', stoppedReason: 'Local', chargingState: 'EVConnected' },
          meterValue: [register(30, 15, 'Transaction.End')],
        });
        assert.deepEqual(endedAnswer, { idTokenInfo: { status: 'Accepted' } });

        const detail = (await backend.api('GET', `/api/transactions/${running.id}`)).body;
        assert.equal(detail.meterStop, 15000);
        assert.equal(detail.energy, 2500);
        assert.equal(detail.stopTime, at(30));
        assert.equal(detail.stopReason, 'Local');
        const energy = detail.meterValues.filter(
          (value: { measurand?: string }) => value.measurand === 'Energy.Active.Import.Register',
        );
        assert.deepEqual(
          energy.map((value: { value: string; unit: string }) => [value.value, value.unit]),
          [
            ['12.5', 'kWh'],
            ['13.75', 'kWh'],
            ['15', 'kWh'],
          ],
          'each reading once, though one event came twice',
        );
        const power = detail.meterValues.find(
          (value: { measurand?: string }) => value.measurand === 'Power.Active.Import',
        );
        assert.deepEqual([power.value, power.unit], ['7200', 'W'], 'the multiplier applied exactly');
        assert.deepEqual(
          detail.events.map((event: { seqNo: number; eventType: string; offline: boolean }) => [
            event.seqNo,
            event.eventType,
            event.offline,
          ]),
          [
            [0, 'Started', false],
            [1, 'Updated', false],
            [2, 'Updated', true],
            [3, 'Ended', false],
          ],
        );
        await charger.close();
        await legacy.close();
      });
    });

    it('keeps transaction ids unique per charger, and opens a transaction whose Started was lost', async (t) => {
      await withBackend(t, dialect, {}, async (backend) => {
        const a = await charger201(backend.ocppUrl, 'CS-A');
        const b = await charger201(backend.ocppUrl, 'CS-B');
        for (const charger of [a, b]) {
          await charger.call('TransactionEvent', {
            eventType: 'Started',
            timestamp: at(1),
            triggerReason: 'CablePluggedIn',
            seqNo: 0,
            evse: { id: 1 },
            transactionInfo: { transactionId: '1' },
          });
        }
        const both = (await backend.api('GET', '/api/transactions')).body.filter(
          (tx: { chargerTransactionId: string }) => tx.chargerTransactionId === '1',
        );
        assert.deepEqual(both.map((tx: { chargePointId: string }) => tx.chargePointId).sort(), ['CS-A', 'CS-B']);
        const plugged = both[0];
        assert.equal(plugged.idTag, '', 'started on plug-in, before anyone identified');
        assert.equal(plugged.meterStart, null, 'no register reading yet');

        // Only the Ended reaches us (the charger lost the rest): it is stored all the same.
        await a.call('TransactionEvent', {
          eventType: 'Ended',
          timestamp: at(40),
          triggerReason: 'EVCommunicationLost',
          seqNo: 7,
          evse: { id: 1 },
          transactionInfo: { transactionId: 'lost-start', stoppedReason: 'EVDisconnected' },
          meterValue: [register(5, 100, 'Transaction.Begin'), register(40, 101.25, 'Transaction.End')],
        });
        const lost = (await backend.api('GET', '/api/transactions?chargePointId=CS-A')).body.find(
          (tx: { chargerTransactionId: string }) => tx.chargerTransactionId === 'lost-start',
        );
        assert.equal(lost.stopReason, 'EVDisconnected');
        assert.equal(lost.meterStart, 100000);
        assert.equal(lost.energy, 1250);
        await a.close();
        await b.close();
      });
    });

    it('stores meter values, the device model (NotifyReport, NotifyEvent) and firmware and log status', async (t) => {
      await withBackend(t, dialect, {}, async (backend) => {
        const charger = await charger201(backend.ocppUrl, 'CS-MODEL');
        await charger.call('MeterValues', { evseId: 0, meterValue: [register(2, 500, 'Sample.Clock')] });
        await charger.call('NotifyReport', {
          requestId: 7,
          generatedAt: at(3),
          seqNo: 0,
          tbc: false,
          reportData: [
            {
              component: { name: 'OCPPCommCtrlr' },
              variable: { name: 'HeartbeatInterval' },
              variableAttribute: [{ type: 'Actual', value: '300', mutability: 'ReadWrite', persistent: true }],
              variableCharacteristics: { dataType: 'integer', unit: 's', supportsMonitoring: false },
            },
            {
              component: { name: 'Connector', evse: { id: 1, connectorId: 1 } },
              variable: { name: 'AvailabilityState' },
              variableAttribute: [{ value: 'Available', mutability: 'ReadOnly' }],
              variableCharacteristics: { dataType: 'OptionList', supportsMonitoring: true },
            },
          ],
        });
        await charger.call('NotifyEvent', {
          generatedAt: at(4),
          seqNo: 0,
          eventData: [
            {
              eventId: 11,
              timestamp: at(4),
              trigger: 'Delta',
              actualValue: 'Faulted',
              eventNotificationType: 'HardWiredNotification',
              component: { name: 'Connector', evse: { id: 1, connectorId: 1 } },
              variable: { name: 'AvailabilityState' },
              techCode: 'E42',
            },
          ],
        });
        await charger.call('FirmwareStatusNotification', { status: 'Installing', requestId: 3 });
        await charger.call('LogStatusNotification', { status: 'Uploaded', requestId: 4 });
        await charger.call('SecurityEventNotification', { type: 'StartupOfTheDevice', timestamp: at(5) });

        const variables = (await backend.api('GET', '/api/charge-points/CS-MODEL/variables')).body;
        const heartbeat = variables.find((v: { variable: string }) => v.variable === 'HeartbeatInterval');
        assert.deepEqual(
          [heartbeat.component, heartbeat.value, heartbeat.mutability, heartbeat.persistent, heartbeat.unit],
          ['OCPPCommCtrlr', '300', 'ReadWrite', true, 's'],
        );
        const availability = variables.find((v: { variable: string }) => v.variable === 'AvailabilityState');
        assert.deepEqual(
          [availability.evseId, availability.evseConnectorId, availability.value, availability.source],
          [1, 1, 'Faulted', 'NotifyEvent'],
          'the event updated the actual value the report had given',
        );
        assert.equal(availability.mutability, 'ReadOnly', 'and kept what the event did not say');
        const filtered = (await backend.api('GET', '/api/charge-points/CS-MODEL/variables?component=OCPPCommCtrlr'))
          .body;
        assert.equal(filtered.length, 1);

        const events = (await backend.api('GET', '/api/charge-points/CS-MODEL/device-events')).body;
        assert.equal(events.length, 1);
        assert.deepEqual(
          [events[0].eventId, events[0].trigger, events[0].actualValue, events[0].techCode, events[0].cleared],
          [11, 'Delta', 'Faulted', 'E42', false],
        );

        const view = (await backend.api('GET', '/api/charge-points/CS-MODEL')).body;
        assert.equal(view.firmwareStatus, 'Installing');
        assert.equal((await backend.api('GET', '/api/charge-points/NOBODY/variables')).status, 404);
        const security = (await backend.api('GET', '/api/charge-points/CS-MODEL/security-events')).body;
        assert.equal(security[0].type, 'StartupOfTheDevice', 'stored by the code 1.6 uses');
        await charger.close();
      });
    });
  });
}
