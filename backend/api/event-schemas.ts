// The event envelope as /api/events streams it and webhooks POST it, with one example per event type for the
// OpenAPI document (the payload types themselves are declared in backend/events/types.ts).

import { EVENT_TYPES, type EventPayloads, type EventType, type StoredEvent } from '../events/types.js';

const EXAMPLE_DATA: { [T in EventType]: EventPayloads[T] } = {
  'charger.connected': { chargePointId: 'CP-0042', protocol: 'ocpp1.6', remoteAddress: '203.0.113.7' },
  'charger.disconnected': { chargePointId: 'CP-0042', code: 1006, reason: '' },
  'charger.booted': {
    chargePointId: 'CP-0042',
    vendor: 'Acme',
    model: 'Wallbox 22',
    serialNumber: 'AC-22-0042',
    firmwareVersion: '4.2.1',
  },
  'connector.status': {
    chargePointId: 'CP-0042',
    connectorId: 1,
    status: 'Charging',
    errorCode: 'NoError',
    at: '2026-01-05T08:15:00.000Z',
  },
  'transaction.started': {
    chargePointId: 'CP-0042',
    transactionId: 1187,
    connectorId: 1,
    idTag: '04A2B3C4D5',
    meterStart: 1520300,
    startTime: '2026-01-05T08:15:02.000Z',
    authorization: 'Accepted',
  },
  'transaction.stopped': {
    chargePointId: 'CP-0042',
    transactionId: 1187,
    meterStop: 1541850,
    stopTime: '2026-01-05T10:02:41.000Z',
    reason: 'EVDisconnected',
  },
  'transaction.flagged': {
    chargePointId: 'CP-0042',
    transactionId: 999,
    flag: 'unknownTransaction',
    detail: 'StopTransaction for transaction 999, which this central system does not know',
  },
  'security.event': {
    chargePointId: 'CP-0042',
    type: 'InvalidCentralSystemCertificate',
    techInfo: 'certificate expired',
    at: '2026-01-05T08:00:00.000Z',
  },
  'security.profile.migration': {
    chargePointId: 'CP-0042',
    fromProfile: 2,
    toProfile: 3,
    status: 'confirmed',
    detail: 'reconnected with security profile 3',
  },
  'schema.violation': {
    chargePointId: 'CP-0042',
    action: 'MeterValues',
    direction: 'inbound',
    isCall: true,
    message: 'must have required property meterValue',
  },
  'reservation.updated': {
    reservationId: 17,
    chargePointId: 'CP-0042',
    connectorId: 2,
    idTag: '04A2B3C4D5',
    status: 'Accepted',
    expiryDate: '2026-01-05T09:00:00.000Z',
  },
  'group.limit.changed': {
    groupId: 'garage-feeder-1',
    limit: 100,
    unit: 'A',
    allocations: [
      { chargePointId: 'CP-0042', connectorId: 1, transactionId: 1187, limit: 50 },
      { chargePointId: 'CP-0043', connectorId: 1, transactionId: 1188, limit: 50 },
    ],
  },
};

export const EVENT_EXAMPLES: StoredEvent[] = EVENT_TYPES.map((type, index) => ({
  id: 5001 + index,
  type,
  occurredAt: '2026-01-05T08:15:02.000Z',
  data: EXAMPLE_DATA[type],
}));

export const eventTypeSchema = { type: 'string', enum: [...EVENT_TYPES] } as const;

export const eventSchema = {
  type: 'object',
  description:
    'An event, as the data of an /api/events message and as the body of a webhook POST. `data` depends on `type` (see the examples).',
  required: ['id', 'type', 'occurredAt', 'data'],
  properties: {
    id: { type: 'integer', description: 'Increasing; the SSE id and the value Last-Event-ID resumes from' },
    type: eventTypeSchema,
    occurredAt: { type: 'string', format: 'date-time' },
    data: { type: 'object', additionalProperties: true },
  },
  examples: EVENT_EXAMPLES,
} as const;
