// OCPP 1.6 Core profile: the calls a charger makes to the central system.

import type { IdTag, SampledValue, Store } from '../store/store.js';
import { utcTimestamp, type HandlerContext, type ProfileHandlers } from './handler.js';

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
    return { idTagInfo: await idTagInfo(context.store, payload.idTag, context.now()) };
  },

  async StartTransaction(
    payload: { connectorId: number; idTag: string; meterStart: number; timestamp: string; reservationId?: number },
    context,
  ) {
    const info = await idTagInfo(context.store, payload.idTag, context.now());
    // The transaction is stored whatever the id tag's status: the charger has started it and will stop it itself
    // when the answer is not Accepted; the record must exist for its StopTransaction.
    const transactionId = await context.store.startTransaction({
      chargePointId: context.chargePointId,
      connectorId: payload.connectorId,
      idTag: payload.idTag,
      meterStart: payload.meterStart,
      startTime: utcTimestamp(payload.timestamp, 'timestamp'),
      reservationId: payload.reservationId,
    });
    context.logger.info(
      { chargePointId: context.chargePointId, transactionId, connectorId: payload.connectorId, status: info.status },
      'transaction started',
    );
    context.events.emit('transaction.started', {
      chargePointId: context.chargePointId,
      transactionId,
      connectorId: payload.connectorId,
      idTag: payload.idTag,
      meterStart: payload.meterStart,
      startTime: utcTimestamp(payload.timestamp, 'timestamp'),
      reservationId: payload.reservationId,
      authorization: info.status,
    });
    return { transactionId, idTagInfo: info };
  },

  async MeterValues(payload: { connectorId: number; transactionId?: number; meterValue: MeterValue[] }, context) {
    await context.store.addMeterValues(
      context.chargePointId,
      payload.connectorId,
      payload.transactionId,
      sampledValues(payload.meterValue),
    );
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
  ) {
    const outcome = await context.store.stopTransaction({
      transactionId: payload.transactionId,
      chargePointId: context.chargePointId,
      meterStop: payload.meterStop,
      stopTime: utcTimestamp(payload.timestamp, 'timestamp'),
      reason: payload.reason,
      idTag: payload.idTag,
      transactionData: sampledValues(payload.transactionData ?? []),
    });
    const log = { chargePointId: context.chargePointId, transactionId: payload.transactionId, outcome };
    if (outcome === 'stopped') {
      context.logger.info(log, 'transaction stopped');
      context.events.emit('transaction.stopped', {
        chargePointId: context.chargePointId,
        transactionId: payload.transactionId,
        meterStop: payload.meterStop,
        stopTime: utcTimestamp(payload.timestamp, 'timestamp'),
        reason: payload.reason,
        idTag: payload.idTag,
      });
    } else {
      context.logger.warn(log, 'stop transaction ignored');
      context.events.emit('transaction.flagged', {
        chargePointId: context.chargePointId,
        transactionId: payload.transactionId,
        flag: outcome === 'unknown' ? 'unknownTransaction' : 'alreadyStopped',
        detail:
          outcome === 'unknown'
            ? `StopTransaction for transaction ${payload.transactionId}, which this central system does not know`
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

function sampledValues(meterValues: MeterValue[]): SampledValue[] {
  return meterValues.flatMap((meterValue) => {
    const sampledAt = utcTimestamp(meterValue.timestamp, 'meterValue.timestamp');
    return meterValue.sampledValue.map((sample) => ({ sampledAt, ...sample }));
  });
}
