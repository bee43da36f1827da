// Strict mode for every charger, including those that offer no subprotocol; and the tolerant policy for chargers'
// requests in both OCPP versions (1.6 and 2.0.1, each with its profile under tolerance/).
//
// ocpp-rpc applies strict mode by the negotiated subprotocol, and a client that offers none gets protocol '' —
// so without this it is served with no validation at all (an invalid BootNotification was Accepted). We register
// the OCPP 1.6 schemas under both 'ocpp1.6' and '' so both are validated by the same schemas.

import { createRequire } from 'node:module';
import { createRPCError, createValidator } from 'ocpp-rpc';
import type { Validator } from 'ocpp-rpc/lib/validator.js';
import { SUBPROTOCOLS, type OcppVersion } from '../../common/ocpp-versions.js';
import { rpcErrorCode, rpcErrorDetails } from '../../common/rpc-error.js';
import { ocpp16Profile } from './tolerance/ocpp16-profile.js';
import { ocpp201Profile } from './tolerance/ocpp201-profile.js';
import { TolerancePolicy, type SchemaViolation } from './tolerance/policy.js';

export const OCPP16 = SUBPROTOCOLS['1.6'];
export const OCPP201 = SUBPROTOCOLS['2.0.1'];
/** What ws reports as the protocol of a client that offered none. */
export const NO_SUBPROTOCOL = '';

const require = createRequire(import.meta.url);
const schemas = require('ocpp-rpc/lib/schemas/ocpp1_6.json') as unknown[];
const schemas201 = require('ocpp-rpc/lib/schemas/ocpp2_0_1.json') as unknown[];
/** ocpp-rpc compiles its 2.0.1 validator when it loads (standard-validators.js); strict mode uses that one. */
const standardValidators = require('ocpp-rpc/lib/standard-validators.js') as Validator[];

/** ocpp-rpc's own validator over the OCPP 1.6 JSON schemas. */
const schemaValidator = createValidator(OCPP16, schemas);

/**
 * ocpp-rpc renames the error codes that the OCPP 1.6 spec misspells (errata section 5) only when the protocol is
 * literally 'ocpp1.6'; this does the same for everyone so a client without a subprotocol gets 1.6 error codes.
 */
class Ocpp16Validator {
  constructor(readonly subprotocol: string) {}

  validate(schemaId: string, params: unknown): ReturnType<Validator['validate']> {
    try {
      return schemaValidator.validate(schemaId, params);
    } catch (error) {
      const code = rpcErrorCode(error);
      const renamed =
        code === 'FormatViolation'
          ? 'FormationViolation'
          : code === 'OccurenceConstraintViolation'
            ? 'OccurrenceConstraintViolation'
            : undefined;
      if (!renamed) throw error;
      throw createRPCError(renamed, (error as Error).message, rpcErrorDetails(error));
    }
  }
}

/** The validator strict mode applies to OCPP 1.6 connections, for checking a payload before it is sent. */
export const ocpp16Validator = new Ocpp16Validator(OCPP16);

/** ocpp-rpc's own validator over the OCPP 2.0.1 schemas (the one its strict mode compiled). */
const schemaValidator201 = standardValidators.find((validator) => validator.subprotocol === OCPP201)!;

/**
 * ocpp-rpc answers "OccurenceConstraintViolation" (1.6's misspelling) for every protocol, and OCPP 2.0.1 (Part 4,
 * 4.3) spells it OccurrenceConstraintViolation. FormatViolation is the right 2.0.1 name and stays.
 */
function ocpp201Error(error: unknown): unknown {
  if (rpcErrorCode(error) !== 'OccurenceConstraintViolation') return error;
  return createRPCError('OccurrenceConstraintViolation', (error as Error).message, rpcErrorDetails(error));
}

/** ocpp-rpc's own 2.0.1 validator, with 2.0.1's spelling of its error codes. */
class Ocpp201Validator {
  readonly subprotocol = OCPP201;

  validate(schemaId: string, params: unknown): ReturnType<Validator['validate']> {
    try {
      return schemaValidator201.validate(schemaId, params);
    } catch (error) {
      throw ocpp201Error(error);
    }
  }
}

/** The validator strict mode applies to OCPP 2.0.1 connections. */
export const ocpp201Validator = new Ocpp201Validator();

export const strictModeValidators = [
  ocpp16Validator,
  new Ocpp16Validator(NO_SUBPROTOCOL),
  ocpp201Validator,
] as unknown as Validator[];

/** OCPP 1.6 error codes (errata section 5 spelling) for an error of ocpp-rpc's 1.6 validator. */
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

export type ValidationMode = 'tolerant' | 'strict';
export const VALIDATION_MODES: readonly ValidationMode[] = ['tolerant', 'strict'];

/** How one OCPP version validates a charger's request, repairs it, and names what it refuses. */
interface InboundRules {
  /** ocpp-rpc's validator: throws its RPC errors, whose details carry ajv's. */
  validate(schemaId: string, params: unknown): ReturnType<Validator['validate']>;
  policy: TolerancePolicy;
  /** The error as this version's strict mode answers it. */
  error(error: unknown): unknown;
}

const validate16 = (schemaId: string, params: unknown) => schemaValidator.validate(schemaId, params);
const validate201 = (schemaId: string, params: unknown) => schemaValidator201.validate(schemaId, params);
const INBOUND_RULES: Record<OcppVersion, InboundRules> = {
  '1.6': { validate: validate16, policy: new TolerancePolicy(schemas, validate16, ocpp16Profile), error: ocpp16Error },
  '2.0.1': {
    validate: validate201,
    policy: new TolerancePolicy(schemas201, validate201, ocpp201Profile),
    error: ocpp201Error,
  },
};

/** What a connection's validator passes on: the violations tolerated in one request, by its payload object. */
const tolerated = new WeakMap<object, SchemaViolation[]>();

/** The violations the tolerant policy accepted in this payload (the handler's params), if any. */
export function toleratedViolations(params: unknown): SchemaViolation[] | undefined {
  return typeof params === 'object' && params !== null ? tolerated.get(params) : undefined;
}

/**
 * One charger's validator for one subprotocol, given to its ocpp-rpc client: strict mode as before for everything,
 * and for the charger's own requests in tolerant mode the policy of tolerance/policy.ts once the one validation
 * failed (with the profile of its OCPP version). Answers and calls we send are never repaired: payloads we send
 * are marked by `markOutbound`.
 */
export class ChargerValidator {
  private readonly rules: InboundRules;

  constructor(
    readonly subprotocol: string,
    public mode: ValidationMode,
  ) {
    this.rules = INBOUND_RULES[subprotocol === OCPP201 ? '2.0.1' : '1.6'];
  }

  validate(schemaId: string, params: unknown): ReturnType<Validator['validate']> {
    try {
      return this.rules.validate(schemaId, params);
    } catch (error) {
      if (this.mode !== 'tolerant' || !schemaId.endsWith('.req') || isOutbound(params)) throw this.rules.error(error);
      const outcome = this.rules.policy.repair(schemaId, params, error, new Date().toISOString());
      if (!outcome.accepted) throw this.rules.error(outcome.error);
      tolerated.set(params as object, outcome.violations);
      return true;
    }
  }
}

/** A charger's validators, one per subprotocol it may speak (1.6 under both its names, and 2.0.1), with its mode. */
export function chargerValidators(mode: ValidationMode): ChargerValidator[] {
  return [
    new ChargerValidator(OCPP16, mode),
    new ChargerValidator(NO_SUBPROTOCOL, mode),
    new ChargerValidator(OCPP201, mode),
  ];
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

/** The validator of each version, for checking a payload before it is sent. */
export function validatorFor(version: OcppVersion): Pick<Validator, 'validate'> {
  return version === '2.0.1' ? ocpp201Validator : ocpp16Validator;
}

const SCHEMAS: Record<OcppVersion, unknown[]> = { '1.6': schemas, '2.0.1': schemas201 };

const ACTIONS: Record<OcppVersion, ReadonlySet<string>> = {
  '1.6': actionsOf(schemas),
  '2.0.1': actionsOf(schemas201),
};

/** True for the actions the version defines (those with a request schema). */
export function hasSchema(action: string, version: OcppVersion = '1.6'): boolean {
  return ACTIONS[version].has(action);
}

function actionsOf(list: unknown[]): ReadonlySet<string> {
  const actions = new Set<string>();
  for (const schema of list) {
    const match = /^urn:(.+)\.req$/.exec((schema as { $id?: string }).$id ?? '');
    if (match) actions.add(match[1]);
  }
  return actions;
}

/** The JSON schema of an OCPP payload without its $id/$schema, for embedding in REST route schemas. */
export function payloadSchema(
  action: string,
  kind: 'req' | 'conf',
  version: OcppVersion = '1.6',
): Record<string, unknown> {
  const schema = SCHEMAS[version].find((entry) => (entry as { $id?: string }).$id === `urn:${action}.${kind}`);
  if (!schema) throw new Error(`no OCPP ${version} schema for ${action}.${kind}`);
  const { $id: _id, $schema: _schema, ...rest } = structuredClone(schema) as Record<string, unknown>;
  return rest;
}
