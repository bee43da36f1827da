// OCPP 2.0.1 transactions: TransactionEvent (Started, Updated, Ended) and MeterValues outside a transaction.
// They land in the same transactions and meter_values rows as OCPP 1.6's Start/StopTransaction, so the REST API
// shows one list for both versions (docs/OCPP.md). The transactionId is the charger's; our row id is what the API
// and the 1.6 side call a transaction id. Each event is stored once per (transaction, seqNo): a retransmission
// (lost answer, offline queue sent twice) is answered the same and changes nothing.

import type { TransactionEventOutcome } from '../../store/ocpp201-records.js';
import { emitFlag, flagsOf } from '../transaction-flags.js';
import { utcTimestamp, type HandlerContext, type ProfileHandlers } from '../handler.js';
import { idTokenInfo, type IdToken } from './authorization.js';
import { energyRegister, sampledValues201, type MeterValue201 } from './meter-values.js';

interface TransactionEventRequest {
  eventType: 'Started' | 'Updated' | 'Ended';
  timestamp: string;
  triggerReason: string;
  seqNo: number;
  offline?: boolean;
  numberOfPhasesUsed?: number;
  cableMaxCurrent?: number;
  reservationId?: number;
  transactionInfo: {
    transactionId: string;
    chargingState?: string;
    timeSpentCharging?: number;
    stoppedReason?: string;
    remoteStartId?: number;
  };
  idToken?: IdToken;
  evse?: { id: number; connectorId?: number };
  meterValue?: MeterValue201[];
}

export const transactionHandlers: ProfileHandlers = {
  async TransactionEvent(payload: TransactionEventRequest, context, call) {
    const now = context.now();
    const meterValues = sampledValues201(payload.meterValue ?? []);
    const info = payload.transactionInfo;
    const outcome = await context.store.recordTransactionEvent({
      chargePointId: context.chargePointId,
      chargerTransactionId: info.transactionId,
      eventType: payload.eventType,
      seqNo: payload.seqNo,
      timestamp: utcTimestamp(payload.timestamp, 'timestamp'),
      triggerReason: payload.triggerReason,
      offline: payload.offline ?? false,
      evseId: payload.evse?.id,
      connectorId: payload.evse?.connectorId,
      idToken: payload.idToken && { idToken: payload.idToken.idToken, type: payload.idToken.type },
      chargingState: info.chargingState,
      stoppedReason: info.stoppedReason,
      remoteStartId: info.remoteStartId,
      reservationId: payload.reservationId,
      meterValues,
      energyRegister: energyRegister(meterValues),
      receivedAt: now,
    });
    // A session's draw, heard by its charging group's balancer.
    if (meterValues.length > 0) context.meterValuesStored?.(context.chargePointId);
    const log = {
      chargePointId: context.chargePointId,
      transactionId: outcome.transactionId,
      chargerTransactionId: info.transactionId,
      eventType: payload.eventType,
      seqNo: payload.seqNo,
      triggerReason: payload.triggerReason,
      offline: payload.offline ?? false,
    };
    const authorization = payload.idToken && (await idTokenInfo(context.store, payload.idToken, now));
    if (outcome.duplicate) context.logger.info(log, 'transaction event repeated; already stored');
    else if (outcome.created && payload.eventType !== 'Started') {
      context.logger.warn(log, 'transaction event for a transaction whose Started never arrived; opened from it');
      context.events.emit('transaction.flagged', {
        chargePointId: context.chargePointId,
        transactionId: outcome.transactionId,
        flag: 'startedMissing',
        detail: `TransactionEvent ${payload.eventType} (seqNo ${payload.seqNo}) for transaction ${info.transactionId}, whose Started never arrived`,
      });
    } else if (outcome.created || outcome.stopped)
      context.logger.info(log, outcome.stopped ? 'transaction ended' : 'transaction started');
    if (!outcome.duplicate && (outcome.created || outcome.stopped))
      await emitTransactionEvents(context, outcome, info.transactionId, authorization?.status);
    // As for 1.6: an event the tolerant policy repaired flags its transaction (a defaulted timestamp too).
    const flags = outcome.duplicate ? [] : flagsOf(call);
    if (flags.length > 0) {
      await context.store.flagTransaction(outcome.transactionId, flags);
      for (const flag of flags) emitFlag(context, outcome.transactionId, flag);
    }
    // OCPP 2.0.1 E: idTokenInfo is required in the answer when the request carried an idToken.
    return authorization ? { idTokenInfo: authorization } : {};
  },

  async MeterValues(payload: { evseId: number; meterValue: MeterValue201[] }, context) {
    // evseId 0 is the main meter of the whole station; no transaction is named in 2.0.1 MeterValues.
    await context.store.addMeterValues(
      context.chargePointId,
      payload.evseId,
      undefined,
      sampledValues201(payload.meterValue),
    );
    return {};
  },
};

/** The same transaction.started/stopped events as OCPP 1.6's, from the stored row (one model for both versions). */
async function emitTransactionEvents(
  context: HandlerContext,
  outcome: TransactionEventOutcome,
  chargerTransactionId: string,
  authorization: string | undefined,
): Promise<void> {
  const transaction = await context.store.getTransaction(outcome.transactionId);
  if (!transaction) return;
  if (outcome.created)
    context.events.emit('transaction.started', {
      chargePointId: context.chargePointId,
      transactionId: transaction.id,
      chargerTransactionId,
      connectorId: transaction.connectorId,
      idTag: transaction.idTag,
      meterStart: transaction.meterStart,
      startTime: transaction.startTime,
      reservationId: transaction.reservationId ?? undefined,
      // A transaction started on plug-in, before anyone identified: nothing was authorized yet.
      authorization: authorization ?? 'None',
    });
  if (outcome.stopped)
    context.events.emit('transaction.stopped', {
      chargePointId: context.chargePointId,
      transactionId: transaction.id,
      chargerTransactionId,
      meterStop: transaction.meterStop,
      stopTime: transaction.stopTime ?? context.now(),
      reason: transaction.stopReason ?? undefined,
      idTag: transaction.idTag || undefined,
    });
}
