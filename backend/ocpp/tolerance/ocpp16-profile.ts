// What the tolerant policy (policy.ts) may and may not repair in OCPP 1.6 requests from chargers.

import { toUtc } from '../timestamps.js';
import type { ToleranceProfile } from './policy.js';

const METER_VALUE_ITEMS = ['/meterValue/*', '/meterValue/*/sampledValue/*'];
const TRANSACTION_DATA_ITEMS = ['/transactionData/*', '/transactionData/*/sampledValue/*'];

export const ocpp16Profile: ToleranceProfile = {
  // The values the handlers key their work on: a wrong one would start, stop or attribute the wrong transaction,
  // so they are as strict as strict mode (and get its CALLERROR).
  protectedPaths: {
    Authorize: ['/idTag'],
    StartTransaction: ['/connectorId', '/idTag', '/meterStart', '/reservationId'],
    StopTransaction: ['/transactionId', '/meterStop', '/idTag'],
    MeterValues: ['/connectorId', '/transactionId'],
    StatusNotification: ['/connectorId'],
  },
  // One unreadable sampled value (or meter value) must not cost the others: it is dropped and recorded.
  droppableItems: {
    MeterValues: METER_VALUE_ITEMS,
    StopTransaction: TRANSACTION_DATA_ITEMS,
  },
  defaultValue(action, path, receivedAt) {
    // A start or stop without its time happened when the charger says it did, or else when we heard of it.
    if (path === '/timestamp' && (action === 'StartTransaction' || action === 'StopTransaction')) return receivedAt;
    if (path === '/meterValue/*/timestamp' || path === '/transactionData/*/timestamp') return receivedAt;
    return undefined;
  },
  normaliseFormat(format, value) {
    return format === 'date-time' ? toUtc(value) : undefined;
  },
};
