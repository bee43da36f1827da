// What the tolerant policy (policy.ts) may and may not repair in OCPP 2.0.1 requests from charging stations: the
// same categories as in 1.6 (ocpp16-profile.ts), over 2.0.1's own names.

import { toUtc } from '../timestamps.js';
import type { ToleranceProfile } from './policy.js';

const METER_VALUE_ITEMS = ['/meterValue/*', '/meterValue/*/sampledValue/*'];
/** Requests whose required time is when the station says something happened: else when we heard of it. */
const TIMESTAMPED = new Set(['TransactionEvent', 'StatusNotification']);
/** Reports whose required generatedAt is the station's clock: else the receive time. */
const GENERATED = new Set(['NotifyEvent', 'NotifyReport', 'NotifyMonitoringReport']);

export const ocpp201Profile: ToleranceProfile = {
  // What the handlers key their work on: the transaction and its event order (backend/ocpp/v201/transactions.ts
  // stores one row per transactionId and seqNo), the EVSE and connector a transaction or status belongs to, the
  // token authorised, and the report a part belongs to. As strict as strict mode, with its CALLERROR.
  protectedPaths: {
    Authorize: ['/idToken/idToken'],
    TransactionEvent: [
      '/eventType',
      '/seqNo',
      '/transactionInfo/transactionId',
      '/evse/id',
      '/evse/connectorId',
      '/idToken/idToken',
      '/reservationId',
    ],
    MeterValues: ['/evseId'],
    StatusNotification: ['/evseId', '/connectorId'],
    NotifyReport: ['/requestId', '/seqNo'],
    NotifyEvent: ['/seqNo'],
  },
  // One unreadable sampled value (or meter value) must not cost the others: it is dropped and recorded.
  droppableItems: {
    TransactionEvent: METER_VALUE_ITEMS,
    MeterValues: METER_VALUE_ITEMS,
  },
  defaultValue(action, path, receivedAt) {
    if (path === '/timestamp' && TIMESTAMPED.has(action)) return receivedAt;
    if (path === '/generatedAt' && GENERATED.has(action)) return receivedAt;
    if (path === '/meterValue/*/timestamp') return receivedAt;
    return undefined;
  },
  normaliseFormat(format, value) {
    return format === 'date-time' ? toUtc(value) : undefined;
  },
};
