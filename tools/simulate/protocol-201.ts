// OCPP 2.0.1 as a charging station with one EVSE of one connector speaks it: BootNotification with its reason,
// StatusNotification per EVSE connector, Authorize with an IdToken and its type, and a transaction as
// TransactionEvent Started / Updated / Ended with a transaction id chosen here, a seqNo per transaction, the
// triggerReason and the meter values inside. An Ended whose first attempt was lost, or that happened while the
// connection was down, is sent (again, unchanged but for the flag) after the reconnect with offline: true.

import { randomUUID } from 'node:crypto';
import type { ChargerProtocol, ChargerTransaction, MeterReading, StopReason } from './protocol.js';
import { sampleTime } from './protocol.js';

/** The token type of a card at the reader; a remote start carries the central system's own type (Central). */
const LOCAL_TOKEN_TYPE = 'ISO14443';

/** 1.6 stop reasons in 2.0.1 terms: the stoppedReason and what triggered the Ended event. */
const STOPS: Readonly<Record<StopReason, { stoppedReason: string; triggerReason: string }>> = {
  Local: { stoppedReason: 'Local', triggerReason: 'StopAuthorized' },
  Remote: { stoppedReason: 'Remote', triggerReason: 'RemoteStop' },
  HardReset: { stoppedReason: 'ImmediateReset', triggerReason: 'ResetCommand' },
  SoftReset: { stoppedReason: 'Reboot', triggerReason: 'ResetCommand' },
  UnlockCommand: { stoppedReason: 'Other', triggerReason: 'UnlockCommand' },
  DeAuthorized: { stoppedReason: 'DeAuthorized', triggerReason: 'Deauthorized' },
};

const EVSE = { id: 1, connectorId: 1 };

interface IdTokenAnswer {
  idTokenInfo?: { status: string };
}

export const ocpp201Protocol: ChargerProtocol = {
  version: '2.0.1',
  subprotocol: 'ocpp2.0.1',

  async boot(session, reason) {
    return session.call('BootNotification', {
      reason,
      chargingStation: {
        vendorName: 'ocpp-edge',
        model: 'simulator',
        serialNumber: session.identity.slice(0, 25),
        firmwareVersion: '0.1.0',
      },
    });
  },

  async heartbeat(session) {
    await session.call('Heartbeat', {});
  },

  async status(session, connectorId, status) {
    // 2.0.1 has no status of the whole station (1.6's connector 0): its availability is in the device model.
    if (connectorId === 0) return;
    await session.call('StatusNotification', {
      timestamp: sampleTime(),
      connectorStatus: status === 'Available' || status === 'Unavailable' ? status : 'Occupied',
      evseId: EVSE.id,
      connectorId: EVSE.connectorId,
    });
  },

  async authorize(session, idTag) {
    const answer = await session.call<IdTokenAnswer>('Authorize', { idToken: idToken(idTag) });
    return answer.idTokenInfo?.status ?? 'Accepted';
  },

  async startTransaction(session, { idTag, remoteStartId, endsAt, meter }) {
    const transaction: ChargerTransaction = { id: randomUUID(), idTag, endsAt, seqNo: 0, remoteStartId };
    const answer = await session.call<IdTokenAnswer>(
      'TransactionEvent',
      event(transaction, 'Started', remoteStartId === undefined ? 'Authorized' : 'RemoteStart', {
        idToken: idToken(idTag, remoteStartId === undefined ? LOCAL_TOKEN_TYPE : 'Central'),
        evse: EVSE,
        meterValue: [meterValue(meter, 'Transaction.Begin')],
      }),
    );
    return { transaction, status: answer.idTokenInfo?.status ?? 'Accepted' };
  },

  async meterValues(session, transaction, meter, trigger = 'Periodic') {
    if (!transaction) {
      await session.call('MeterValues', { evseId: EVSE.id, meterValue: [meterValue(meter, 'Sample.Periodic')] });
      return;
    }
    await session.call(
      'TransactionEvent',
      event(transaction, 'Updated', trigger === 'Trigger' ? 'Trigger' : 'MeterValuePeriodic', {
        meterValue: [meterValue(meter, trigger === 'Trigger' ? 'Trigger' : 'Sample.Periodic')],
      }),
    );
  },

  async stopTransaction(session, transaction, meter) {
    const stop = STOPS[transaction.stopReason ?? 'Local'];
    // Made once: a retry is the same event (same seqNo, timestamp and reading), which the central system stores once.
    transaction.ended ??= event(
      transaction,
      'Ended',
      stop.triggerReason,
      { idToken: idToken(transaction.idTag), meterValue: [meterValue(meter, 'Transaction.End')] },
      { stoppedReason: stop.stoppedReason, chargingState: 'Idle' },
    );
    await session.call('TransactionEvent', {
      ...transaction.ended,
      ...(transaction.endedOffline && { offline: true }),
    });
  },

  async idleStatus(session, message) {
    await session.call(message === 'DiagnosticsStatusNotification' ? 'LogStatusNotification' : message, {
      status: 'Idle',
    });
  },
};

function idToken(idTag: string, type = LOCAL_TOKEN_TYPE) {
  return { idToken: idTag, type };
}

function event(
  transaction: ChargerTransaction,
  eventType: 'Started' | 'Updated' | 'Ended',
  triggerReason: string,
  fields: Record<string, unknown>,
  info: Record<string, unknown> = { chargingState: 'Charging' },
): Record<string, unknown> {
  return {
    eventType,
    timestamp: sampleTime(),
    triggerReason,
    seqNo: transaction.seqNo++,
    transactionInfo: {
      transactionId: String(transaction.id),
      ...info,
      ...(eventType === 'Started' && transaction.remoteStartId !== undefined
        ? { remoteStartId: transaction.remoteStartId }
        : {}),
    },
    ...fields,
  };
}

function meterValue(meter: MeterReading, context: string) {
  return {
    timestamp: sampleTime(),
    sampledValue: [
      {
        value: Math.round(meter.wh),
        context,
        measurand: 'Energy.Active.Import.Register',
        unitOfMeasure: { unit: 'Wh' },
      },
      { value: meter.currentA, context, measurand: 'Current.Import', unitOfMeasure: { unit: 'A' } },
      { value: meter.powerW, context, measurand: 'Power.Active.Import', unitOfMeasure: { unit: 'W' } },
    ],
  };
}
