// The events the central system tells the outside world about: one name per kind, one payload type per name.
// The same names and payloads go to webhooks and to the Server-Sent Events stream (/api/events), and they are a
// public contract: add fields and types freely, never rename or remove one.

/** Payload of each event type. Timestamps are UTC ISO-8601; charge point ids are the OCPP identity. */
export interface EventPayloads {
  /** A charger opened its OCPP WebSocket. */
  'charger.connected': { chargePointId: string; protocol: string; remoteAddress?: string };
  /** Its WebSocket closed (code and reason as the close frame gave them). */
  'charger.disconnected': { chargePointId: string; code: number; reason: string };
  /** BootNotification received and accepted. */
  'charger.booted': {
    chargePointId: string;
    vendor: string;
    model: string;
    serialNumber?: string;
    firmwareVersion?: string;
    /** OCPP 2.0.1 BootNotification reason (PowerUp, FirmwareUpdate, RemoteReset, ...). */
    reason?: string;
  };
  /** StatusNotification: a connector (0: the charger itself) changed state. */
  'connector.status': {
    chargePointId: string;
    connectorId: number;
    status: string;
    errorCode: string;
    info?: string;
    vendorErrorCode?: string;
    at: string;
    /** OCPP 2.0.1: connectorId is the EVSE id, this the connector of it (errorCode is then always NoError). */
    evseConnectorId?: number;
  };
  'transaction.started': {
    chargePointId: string;
    /** Ours: the id /api/transactions shows, for both versions. */
    transactionId: number;
    /** OCPP 2.0.1: the transactionId the charger chose. */
    chargerTransactionId?: string;
    /** OCPP 1.6 connector; OCPP 2.0.1 EVSE id. */
    connectorId: number;
    /** '' for an OCPP 2.0.1 transaction started without an id token (e.g. on plug-in). */
    idTag: string;
    /** Wh; null for an OCPP 2.0.1 transaction whose start reading is not known (yet). */
    meterStart: number | null;
    startTime: string;
    reservationId?: number;
    /** The IdTagInfo status the charger was answered with. */
    authorization: string;
  };
  'transaction.stopped': {
    chargePointId: string;
    transactionId: number;
    /** OCPP 2.0.1: the transactionId the charger chose. */
    chargerTransactionId?: string;
    /** Wh; null for an OCPP 2.0.1 transaction that ended without any energy register reading. */
    meterStop: number | null;
    stopTime: string;
    reason?: string;
    idTag?: string;
  };
  /** Something about a transaction an operator should look at (a stop for an unknown transaction, a meter going
   * backwards, a duplicate...). `flag` names it, `detail` says it for a person. */
  'transaction.flagged': { chargePointId: string; transactionId?: number; flag: string; detail: string };
  /** SecurityEventNotification from a charger, or a security-relevant event the central system saw itself. */
  'security.event': { chargePointId: string; type: string; techInfo?: string; at: string };
  /** Raising a charger's security profile moved on: accepted (waiting for the reconnect), rejected, confirmed
   * (reconnected with the new profile, now required) or timed_out (the old profile stays). */
  'security.profile.migration': {
    chargePointId: string;
    fromProfile: number;
    toProfile: number;
    status: string;
    detail: string;
  };
  /** A frame that failed the OCPP JSON schemas: refused (strict mode), or accepted by the tolerant policy
   * (`tolerated`, one event per violation, with where and what was done: docs/INTEROP.md). */
  'schema.violation': {
    chargePointId: string;
    action: string;
    /** inbound: the charger sent it; outbound: we were about to. */
    direction: 'inbound' | 'outbound';
    isCall: boolean;
    message: string;
    tolerated?: boolean;
    /** JSON pointer of the value, as sent. */
    path?: string;
    /** The JSON-schema keyword it broke. */
    keyword?: string;
    /** kept, normalised, coerced, renamed, defaulted or dropped. */
    repair?: string;
  };
  /** A reservation was created or changed state. */
  'reservation.updated': {
    reservationId: number;
    chargePointId: string;
    connectorId: number;
    idTag: string;
    status: string;
    expiryDate: string;
  };
  /** A charging group's limit or its division over the sessions changed. */
  'group.limit.changed': {
    groupId: string;
    limit: number;
    unit: 'A' | 'W';
    allocations: Array<{ chargePointId: string; connectorId: number; transactionId?: number; limit: number }>;
  };
}

export type EventType = keyof EventPayloads;

/** Every event type, for consumers that list or filter them (the event stream); @public */
export const EVENT_TYPES = [
  'charger.connected',
  'charger.disconnected',
  'charger.booted',
  'connector.status',
  'transaction.started',
  'transaction.stopped',
  'transaction.flagged',
  'security.event',
  'security.profile.migration',
  'schema.violation',
  'reservation.updated',
  'group.limit.changed',
] as const satisfies readonly EventType[];

/** An event as emitted in this process: not yet stored, so without its id. */
export interface PendingEvent<T extends EventType = EventType> {
  type: T;
  /** When it happened (UTC ISO-8601). */
  occurredAt: string;
  data: EventPayloads[T];
}

/** An event as stored and delivered: its id orders events and is what `Last-Event-ID` resumes from. @public */
export interface StoredEvent<T extends EventType = EventType> extends PendingEvent<T> {
  id: number;
}
