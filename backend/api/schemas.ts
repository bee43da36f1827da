// JSON schemas shared by the REST routes. fastify validates requests and serialises answers with them, and
// @fastify/swagger publishes them at /docs: one schema, three uses.

import {
  CHARGE_POINT_ID_PATTERN,
  CHARGE_POINT_ID_RULE,
  MAX_CHARGE_POINT_ID_LENGTH,
} from '../../common/charge-point-identity.js';

/** The identity rule of the proxy and the OCPP endpoint (common/charge-point-identity.ts), on the decoded id. */
export const chargePointIdParams = {
  type: 'object',
  required: ['id'],
  properties: {
    id: {
      type: 'string',
      pattern: CHARGE_POINT_ID_PATTERN,
      maxLength: MAX_CHARGE_POINT_ID_LENGTH,
      description: `Charge point identity, percent-encoded in the path: ${CHARGE_POINT_ID_RULE}`,
    },
  },
} as const;

export const errorSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', description: 'Machine-readable error name' },
    message: { type: 'string' },
    code: { type: 'string', description: 'OCPP-J error code, when the charger or strict mode gave one' },
  },
} as const;

/** Answers every /api/ route may give besides its own. */
export const commonErrors = { 400: errorSchema, 401: errorSchema, 500: errorSchema } as const;

const nullableString = { type: ['string', 'null'] } as const;

export const connectorSchema = {
  type: 'object',
  properties: {
    connectorId: { type: 'integer' },
    status: { type: 'string' },
    errorCode: { type: 'string' },
    info: nullableString,
    vendorErrorCode: nullableString,
    timestamp: { type: 'string', format: 'date-time' },
    evseConnectors: {
      type: 'array',
      description: 'OCPP 2.0.1: the connector row is an EVSE (its status summarises these); each connector of it',
      items: {
        type: 'object',
        properties: {
          connectorId: { type: 'integer' },
          status: { type: 'string' },
          timestamp: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
} as const;

export const chargePointSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    connected: { type: 'boolean' },
    ocppVersion: { ...nullableString, description: 'OCPP version of its last connection (1.6, 2.0.1)' },
    ocppVersions: {
      type: ['array', 'null'],
      items: { type: 'string' },
      description: 'Versions it is served with, preferred first; null: the server default (--ocpp-versions)',
    },
    bootReason: { ...nullableString, description: 'OCPP 2.0.1 BootNotification reason' },
    hasPassword: { type: 'boolean' },
    passwordRotationPending: { type: 'boolean', description: 'A rotated key waits for the charger to log in with it' },
    securityProfile: { type: 'integer', description: 'OCPP security profile 0-3 required at the upgrade' },
    vendor: nullableString,
    model: nullableString,
    serialNumber: nullableString,
    firmwareVersion: nullableString,
    iccid: nullableString,
    imsi: nullableString,
    meterType: nullableString,
    meterSerialNumber: nullableString,
    firmwareStatus: nullableString,
    diagnosticsStatus: nullableString,
    registeredAt: { type: 'string', format: 'date-time' },
    lastBootAt: nullableString,
    lastHeartbeat: nullableString,
    ocppValidation: {
      type: ['string', 'null'],
      description: 'Override of --ocpp-validation (PUT …/ocpp-validation); null: the default',
    },
    schemaViolations: { type: 'integer', description: 'Schema violations tolerated so far (…/schema-violations)' },
    lastSchemaViolationAt: nullableString,
    connectors: { type: 'array', items: connectorSchema },
  },
} as const;

export const transactionSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer', description: 'Ours; for OCPP 1.6 also the transactionId the charger was given' },
    ocppVersion: { type: 'string', enum: ['1.6', '2.0.1'] },
    chargerTransactionId: {
      ...nullableString,
      description: 'OCPP 2.0.1: the transactionId the charger chose (unique per charger)',
    },
    chargePointId: { type: 'string' },
    connectorId: { type: 'integer', description: 'OCPP 1.6 connector; OCPP 2.0.1 EVSE id' },
    evseConnectorId: { type: ['integer', 'null'], description: 'OCPP 2.0.1: the connector of the EVSE' },
    idTag: { type: 'string', description: "'' for a 2.0.1 transaction that has no id token (yet)" },
    idTokenType: { ...nullableString, description: 'OCPP 2.0.1 IdToken type (ISO14443, eMAID, Central, ...)' },
    reservationId: { type: ['integer', 'null'] },
    remoteStartId: { type: ['integer', 'null'], description: 'OCPP 2.0.1: from RequestStartTransaction' },
    meterStart: {
      type: ['integer', 'null'],
      description: 'Wh; null for a 2.0.1 transaction no meter value has given the energy register of yet',
    },
    meterStop: { type: ['integer', 'null'], description: 'Wh' },
    startTime: { type: 'string', format: 'date-time' },
    stopTime: nullableString,
    stopReason: nullableString,
    chargingState: { ...nullableString, description: 'OCPP 2.0.1 chargingState of its latest event' },
    energy: { type: ['integer', 'null'], description: 'Wh delivered (meterStop - meterStart); null while active' },
    flags: {
      type: 'array',
      items: { type: 'string' },
      description:
        'Suspect data, kept and flagged (docs/INTEROP.md): closedByNewStart, meterStopBelowStart, stopBeforeStart, timestampDefaulted, schemaViolations',
    },
  },
} as const;

export const meterValueSchema = {
  type: 'object',
  properties: {
    connectorId: { type: 'integer' },
    sampledAt: { type: 'string', format: 'date-time' },
    value: { type: 'string' },
    measurand: { type: 'string' },
    unit: { type: 'string' },
    context: { type: 'string' },
    location: { type: 'string' },
    phase: { type: 'string' },
    format: { type: 'string' },
    flags: {
      type: 'array',
      items: { type: 'string' },
      description: 'outsideTransaction: sampled before its start or after its stop; schemaViolation: repaired',
    },
  },
} as const;

export const ID_TAG_STATUSES = ['Accepted', 'Blocked', 'Expired', 'Invalid'] as const;

export const idTagSchema = {
  type: 'object',
  properties: {
    idTag: { type: 'string' },
    status: { type: 'string', enum: ID_TAG_STATUSES },
    expiryDate: nullableString,
    parentIdTag: nullableString,
  },
} as const;

export const idTagParams = {
  type: 'object',
  required: ['idTag'],
  properties: {
    idTag: {
      type: 'string',
      minLength: 1,
      maxLength: 36,
      description: 'OCPP 1.6 IdToken (CiString20) or OCPP 2.0.1 idToken (up to 36 characters)',
    },
  },
} as const;
