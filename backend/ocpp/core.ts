// OCPP 1.6 Core profile: the calls a charger makes to the central system.

import type { IdTag, SampledValue, Store } from '../store/store.js';
import { utcTimestamp, type ProfileHandlers } from './handler.js';
import { emitFlag, flagsOf } from './transaction-flags.js';
import { wasRepaired } from './tolerance/policy.js';

interface IdTagInfo {
  status: 'Accepted' | 'Blocked' | 'Expired' | 'Invalid' | 'ConcurrentTx';
  expiryDate?: string;
  parentIdTag?: string;
}

interface MeterValue {
  timestamp: string;
  sampledValue: Array<{
    value: string;
    context?: string;
    format?: string;
    measurand?: string;
    phase?: string;
    location?: string;
    unit?: string;
  }>;
}

export const coreHandlers: ProfileHandlers = {
  async BootNotification(payload: Record<string, string>, context) {
    const now = context.now();
    await context.store.recordBoot(
      context.chargePointId,
      {
        vendor: payload.chargePointVendor,
        model: payload.chargePointModel,
        serialNumber: payload.chargePointSerialNumber ?? payload.chargeBoxSerialNumber,
        firmwareVersion: payload.firmwareVersion,
        iccid: payload.iccid,
        imsi: payload.imsi,
        meterType: payload.meterType,
        meterSerialNumber: payload.meterSerialNumber,
      },
      now,
    );
    context.logger.info(
      { chargePointId: context.chargePointId, vendor: payload.chargePointVendor, model: payload.chargePointModel },
      'boot notification',
    );
    context.events.emit('charger.booted', {
      chargePointId: context.chargePointId,
      vendor: payload.chargePointVendor,
      model: payload.chargePointModel,
      serialNumber: payload.chargePointSerialNumber ?? payload.chargeBoxSerialNumber,
      firmwareVersion: payload.firmwareVersion,
    });
    // Unknown charge points were refused at the upgrade (registration "known"), so whoever boots here is accepted.
    return { status: 'Accepted', currentTime: now, interval: context.heartbeatInterval };
  },

  async Heartbeat(_payload, context) {
    const now = context.now();
    await context.store.recordHeartbeat(context.chargePointId, now);
    return { currentTime: now };
  },

  async StatusNotification(
    payload: {
      connectorId: number;
      status: string;
      errorCode: string;
      info?: string;
      vendorErrorCode?: string;
      timestamp?: string;
    },
    context,
  ) {
    const now = context.now();
    const status = {
      connectorId: payload.connectorId,
      status: payload.status,
      errorCode: payload.errorCode,
      info: payload.info,
      vendorErrorCode: payload.vendorErrorCode,
      at: payload.timestamp ? utcTimestamp(payload.timestamp, 'timestamp') : now,
    };
    await context.store.recordStatus(context.chargePointId, status, now);
    context.events.emit('connector.status', { chargePointId: context.chargePointId, ...status });
    return {};
  },

  async Authorize(payload: { idTag: string }, context) {
    const info = await idTagInfo(context.store, payload.idTag, context.now());
    if (info.status === 'Accepted' && (await context.store.inRunningTransaction(payload.idTag)))
      info.status = 'ConcurrentTx';
    return { idTagInfo: info };
  },

  async StartTransaction(
    payload: { connectorId: number; idTag: string; meterStart: number; timestamp: string; reservationId?: number },
    context,
    call,
  ) {
    const startTime = utcTimestamp(payload.timestamp, 'timestamp');
    const info = await idTagInfo(context.store, payload.idTag, context.now());
    // The transaction is stored whatever the id tag's status: the charger has started it and will stop it itself
    // when the answer is not Accepted; the record must exist for its StopTransaction.
    const started = await context.store.startTransaction({
      chargePointId: context.chargePointId,
      connectorId: payload.connectorId,
      idTag: payload.idTag,
      meterStart: payload.meterStart,
      startTime,
      reservationId: payload.reservationId,
      flags: flagsOf(call),
      authorization: info.status,
    });
    const transactionId = started.id;
    // The status stored with the start: the tag's, or ConcurrentTx (OCPP 1.6 IdTagInfo: "the identifier is already
    // involved in another transaction"). A start stored before statuses were kept has none: decided as then.
    if (started.status !== undefined) info.status = started.status as IdTagInfo['status'];
    else if (started.concurrent && info.status === 'Accepted') info.status = 'ConcurrentTx';
    const log = { chargePointId: context.chargePointId, transactionId, connectorId: payload.connectorId };
    if (started.retransmission) {
      // A charger that lost our answer (GPRS) sends the same start again: it gets the same transaction and the
      // same status as the first answer, whatever changed since (a tag blocked, a reservation used, a stop).
      context.logger.info({ ...log, status: info.status }, 'StartTransaction retransmitted: same transaction');
      return { transactionId, idTagInfo: info };
    }
    for (const closed of started.closed) {
      context.logger.warn(
        { ...log, closedTransactionId: closed },
        'open transaction on the connector closed by a new start',
      );
      context.events.emit('transaction.flagged', {
        chargePointId: context.chargePointId,
        transactionId: closed,
        flag: 'closedByNewStart',
        detail: `transaction ${closed} was still open on connector ${payload.connectorId} when transaction ${transactionId} started; closed at its start`,
      });
    }
    // A connector reserved for another tag: the charger should not have started (OCPP 1.6 §5.13 Reserve Now: it
    // "SHALL refuse charging for all incoming idTags on the reserved connector, except when the incoming idTag or
    // the parent idTag match"). The answer still carries the tag's own status: §4.8 Start Transaction has the
    // central system "verify validity of the identifier", and §7.2 AuthorizationStatus has no status for "valid,
    // but not here" (Invalid is "Identifier is unknown"); the charger also writes the answer into its
    // Authorization Cache (§3.5.1), where an Invalid would refuse a valid card later, offline. Flagged instead.
    const reservation = await context.reservations?.startTransaction({
      chargePointId: context.chargePointId,
      connectorId: payload.connectorId,
      idTag: payload.idTag,
      parentIdTag: info.parentIdTag ?? null,
      reservationId: payload.reservationId,
      transactionId,
    });
    if (reservation === 'reservedForOther') {
      context.logger.warn(log, 'transaction started on a connector reserved for another tag');
      context.events.emit('transaction.flagged', {
        chargePointId: context.chargePointId,
        transactionId,
        flag: 'reservedConnector',
        detail: `connector ${payload.connectorId} is reserved for another id tag; the charger started ${payload.idTag} on it anyway (answered ${info.status}, the tag's own status)`,
      });
    }
    context.logger.info({ ...log, status: info.status }, 'transaction started');
    context.events.emit('transaction.started', {
      chargePointId: context.chargePointId,
      transactionId,
      connectorId: payload.connectorId,
      idTag: payload.idTag,
      meterStart: payload.meterStart,
      startTime,
      reservationId: payload.reservationId,
      authorization: info.status,
    });
    for (const flag of flagsOf(call)) emitFlag(context, transactionId, flag);
    return { transactionId, idTagInfo: info };
  },

  async MeterValues(payload: { connectorId: number; transactionId?: number; meterValue: MeterValue[] }, context) {
    await context.store.addMeterValues(
      context.chargePointId,
      payload.connectorId,
      payload.transactionId,
      sampledValues(payload.meterValue),
    );
    context.meterValuesStored?.(context.chargePointId);
    return {};
  },

  async StopTransaction(
    payload: {
      transactionId: number;
      meterStop: number;
      timestamp: string;
      idTag?: string;
      reason?: string;
      transactionData?: MeterValue[];
    },
    context,
    call,
  ) {
    const stopTime = utcTimestamp(payload.timestamp, 'timestamp');
    const { outcome, flags } = await context.store.stopTransaction({
      transactionId: payload.transactionId,
      chargePointId: context.chargePointId,
      meterStop: payload.meterStop,
      stopTime,
      reason: payload.reason,
      idTag: payload.idTag,
      transactionData: sampledValues(payload.transactionData ?? []),
      flags: flagsOf(call),
    });
    const log = { chargePointId: context.chargePointId, transactionId: payload.transactionId, outcome, flags };
    if (outcome === 'stopped') {
      context.logger.info(log, 'transaction stopped');
      context.events.emit('transaction.stopped', {
        chargePointId: context.chargePointId,
        transactionId: payload.transactionId,
        meterStop: payload.meterStop,
        stopTime,
        reason: payload.reason,
        idTag: payload.idTag,
      });
      for (const flag of flags) emitFlag(context, payload.transactionId, flag);
    } else {
      context.logger.warn(
        log,
        outcome === 'unknown' ? 'stop for an unknown transaction: kept' : 'stop transaction ignored',
      );
      context.events.emit('transaction.flagged', {
        chargePointId: context.chargePointId,
        transactionId: payload.transactionId,
        flag: outcome === 'unknown' ? 'unknownTransaction' : 'alreadyStopped',
        detail:
          outcome === 'unknown'
            ? `StopTransaction for transaction ${payload.transactionId}, which this central system does not know (kept: GET /api/transactions/unmatched-stops)`
            : `StopTransaction again for transaction ${payload.transactionId}, already stopped`,
      });
    }
    // The charger must get an answer even for a transaction we do not know, or it retries forever (OCPP 1.6 4.10).
    return payload.idTag ? { idTagInfo: await idTagInfo(context.store, payload.idTag, context.now()) } : {};
  },

  async DataTransfer(payload: { vendorId: string; messageId?: string }, context) {
    // No vendor extensions are implemented; the frame itself is kept in the message log.
    context.logger.info(
      { chargePointId: context.chargePointId, vendorId: payload.vendorId, messageId: payload.messageId },
      'data transfer',
    );
    return { status: 'UnknownVendorId' };
  },
};

/** The local id-tag list's verdict (OCPP 1.6 IdTagInfo). */
export async function idTagInfo(store: Store, idTag: string, now: string): Promise<IdTagInfo> {
  const tag = await store.getIdTag(idTag);
  if (!tag) return { status: 'Invalid' };
  const info: IdTagInfo = { status: tag.status as IdTagInfo['status'] };
  if (tag.expiryDate) info.expiryDate = tag.expiryDate;
  if (tag.parentIdTag) info.parentIdTag = tag.parentIdTag;
  if (isExpired(tag, now)) info.status = 'Expired';
  return info;
}

function isExpired(tag: IdTag, now: string): boolean {
  return tag.status === 'Accepted' && tag.expiryDate !== null && tag.expiryDate <= now;
}

/** The stored sampled values; one the tolerant policy repaired (or whose meter value it repaired) is flagged. */
function sampledValues(meterValues: MeterValue[]): SampledValue[] {
  return meterValues.flatMap((meterValue) => {
    const sampledAt = utcTimestamp(meterValue.timestamp, 'meterValue.timestamp');
    const repairedTime = wasRepaired(meterValue);
    return meterValue.sampledValue.map((sample) =>
      repairedTime || wasRepaired(sample)
        ? { sampledAt, ...sample, flags: ['schemaViolation'] }
        : { sampledAt, ...sample },
    );
  });
}
