// OCPP 1.6-J as a single-connector charger speaks it: Core profile calls, the transaction id given by the central
// system in the StartTransaction answer.

import type { ChargerProtocol, ChargerTransaction, MeterReading } from './protocol.js';
import { sampleTime } from './protocol.js';

interface IdTagAnswer {
  idTagInfo: { status: string };
}

export const ocpp16Protocol: ChargerProtocol = {
  version: '1.6',
  subprotocol: 'ocpp1.6',

  async boot(session) {
    return session.call('BootNotification', {
      chargePointVendor: 'ocpp-edge',
      chargePointModel: 'simulator',
      chargePointSerialNumber: session.identity.slice(0, 25),
      firmwareVersion: '0.1.0',
    });
  },

  async heartbeat(session) {
    await session.call('Heartbeat', {});
  },

  async status(session, connectorId, status) {
    await session.call('StatusNotification', { connectorId, errorCode: 'NoError', status, timestamp: sampleTime() });
  },

  async authorize(session, idTag) {
    const { idTagInfo } = await session.call<IdTagAnswer>('Authorize', { idTag });
    return idTagInfo.status;
  },

  async startTransaction(session, { idTag, endsAt, meter }) {
    const answer = await session.call<IdTagAnswer & { transactionId: number }>('StartTransaction', {
      connectorId: 1,
      idTag,
      meterStart: Math.round(meter.wh),
      timestamp: sampleTime(),
    });
    const transaction: ChargerTransaction = { id: answer.transactionId, idTag, endsAt, seqNo: 0 };
    return { transaction, status: answer.idTagInfo.status };
  },

  async meterValues(session, transaction, meter) {
    await session.call('MeterValues', {
      connectorId: 1,
      transactionId: transaction?.id,
      meterValue: [{ timestamp: sampleTime(), sampledValue: sampledValues(meter, 'Sample.Periodic') }],
    });
  },

  async stopTransaction(session, transaction, meter) {
    await session.call('StopTransaction', {
      transactionId: transaction.id,
      idTag: transaction.idTag,
      meterStop: Math.round(meter.wh),
      timestamp: sampleTime(),
      reason: transaction.stopReason ?? 'Local',
    });
  },

  async idleStatus(session, message) {
    await session.call(message, { status: 'Idle' });
  },
};

function sampledValues(meter: MeterReading, context: string) {
  return [
    { value: String(Math.round(meter.wh)), context, measurand: 'Energy.Active.Import.Register', unit: 'Wh' },
    { value: String(meter.currentA), context, measurand: 'Current.Import', unit: 'A' },
    { value: String(meter.powerW), context, measurand: 'Power.Active.Import', unit: 'W' },
  ];
}
