// Strict mode for every charger, including those that offer no subprotocol, and the tolerant policy on top of it
// (--ocpp-validation, per charger through the REST API).
//
// ocpp-rpc applies strict mode by the negotiated subprotocol, and a client that offers none gets protocol '' —
// so without this it is served with no validation at all (an invalid BootNotification was Accepted). We register
// the OCPP 1.6 schemas under both 'ocpp1.6' and '' so both are validated by the same schemas.

import { createRequire } from 'node:module';
import { createRPCError, createValidator } from 'ocpp-rpc';
import type { Validator } from 'ocpp-rpc/lib/validator.js';
import { rpcErrorCode, rpcErrorDetails } from '../../common/rpc-error.js';
import { ocpp16Profile } from './tolerance/ocpp16-profile.js';
import { TolerancePolicy, type SchemaViolation } from './tolerance/policy.js';

export const OCPP16 = 'ocpp1.6';
/** What ws reports as the protocol of a client that offered none. */
export const NO_SUBPROTOCOL = '';

const require = createRequire(import.meta.url);
const schemas = require('ocpp-rpc/lib/schemas/ocpp1_6.json') as unknown[];

/** ocpp-rpc's own validator over the OCPP 1.6 JSON schemas. */
const schemaValidator = createValidator(OCPP16, schemas);

/**
 * ocpp-rpc renames the error codes that the OCPP 1.6 spec misspells (errata section 5) only when the protocol is
 * literally 'ocpp1.6'; this does the same for everyone so a client without a subprotocol gets 1.6 error codes.
 */
function ocpp16Error(error: unknown): unknown {
  const code = rpcErrorCode(error);
  const renamed =
    code === 'FormatViolation'
      ? 'FormationViolation'
      : code === 'OccurenceConstraintViolation'
        ? 'OccurrenceConstraintViolation'
        : undefined;
  if (!renamed) return error;
  return createRPCError(renamed, (error as Error).message, rpcErrorDetails(error));
}

class Ocpp16Validator {
  constructor(readonly subprotocol: string) {}

  validate(schemaId: string, params: unknown): ReturnType<Validator['validate']> {
    try {
      return schemaValidator.validate(schemaId, params);
    } catch (error) {
      throw ocpp16Error(error);
    }
  }
}

/** The validator strict mode applies to OCPP 1.6 connections, for checking a payload before it is sent. */
export const ocpp16Validator = new Ocpp16Validator(OCPP16);

export const strictModeValidators = [ocpp16Validator, new Ocpp16Validator(NO_SUBPROTOCOL)] as unknown as Validator[];

export type ValidationMode = 'tolerant' | 'strict';
export const VALIDATION_MODES: readonly ValidationMode[] = ['tolerant', 'strict'];

const tolerancePolicy = new TolerancePolicy(
  schemas,
  (schemaId, params) => schemaValidator.validate(schemaId, params),
  ocpp16Profile,
);

/** What a connection's validator passes on: the violations tolerated in one request, by its payload object. */
const tolerated = new WeakMap<object, SchemaViolation[]>();

/** The violations the tolerant policy accepted in this payload (the handler's params), if any. */
export function toleratedViolations(params: unknown): SchemaViolation[] | undefined {
  return typeof params === 'object' && params !== null ? tolerated.get(params) : undefined;
}

/**
 * One charger's validator, given to its ocpp-rpc client: strict mode as before for everything, and for the
 * charger's own requests in tolerant mode the policy of tolerance/policy.ts once the one validation failed.
 * Answers and calls we send are never repaired: our calls were validated strictly before they were queued
 * (api/commands.ts), and ocpp-rpc validates `.req` schemas of outbound calls with payloads marked by
 * `markOutbound`, which this refuses as strict mode does.
 */
export class ChargerValidator {
  constructor(
    readonly subprotocol: string,
    public mode: ValidationMode,
  ) {}

  validate(schemaId: string, params: unknown): ReturnType<Validator['validate']> {
    try {
      return schemaValidator.validate(schemaId, params);
    } catch (error) {
      if (this.mode !== 'tolerant' || !schemaId.endsWith('.req') || isOutbound(params)) throw ocpp16Error(error);
      const outcome = tolerancePolicy.repair(schemaId, params, error, new Date().toISOString());
      if (!outcome.accepted) throw ocpp16Error(outcome.error);
      tolerated.set(params as object, outcome.violations);
      return true;
    }
  }
}

/** Both subprotocol names a charger may be served under, validated alike (see the top of this file). */
export function chargerValidators(mode: ValidationMode): ChargerValidator[] {
  return [new ChargerValidator(OCPP16, mode), new ChargerValidator(NO_SUBPROTOCOL, mode)];
}

const outbound = new WeakSet<object>();

/** Marks a payload we send to a charger: never repaired, whatever the charger's mode. */
export function markOutbound<T>(payload: T): T {
  if (typeof payload === 'object' && payload !== null) outbound.add(payload);
  return payload;
}

function isOutbound(params: unknown): boolean {
  return typeof params === 'object' && params !== null && outbound.has(params);
}

/** True for the actions OCPP 1.6 defines (those with a request schema). */
export function hasSchema(action: string): boolean {
  return schemas.some((schema) => (schema as { $id?: string }).$id === `urn:${action}.req`);
}

/** The JSON schema of an OCPP 1.6 payload without its $id/$schema, for embedding in REST route schemas. */
export function payloadSchema(action: string, kind: 'req' | 'conf'): Record<string, unknown> {
  const schema = schemas.find((entry) => (entry as { $id?: string }).$id === `urn:${action}.${kind}`);
  if (!schema) throw new Error(`no OCPP 1.6 schema for ${action}.${kind}`);
  const { $id: _id, $schema: _schema, ...rest } = structuredClone(schema) as Record<string, unknown>;
  return rest;
}
