// Strict mode for every charger, including those that offer no subprotocol.
//
// ocpp-rpc applies strict mode by the negotiated subprotocol, and a client that offers none gets protocol '' —
// so without this it is served with no validation at all (an invalid BootNotification was Accepted). We register
// the OCPP 1.6 schemas under both 'ocpp1.6' and '' so both are validated by the same schemas.

import { createRequire } from 'node:module';
import { createRPCError, createValidator } from 'ocpp-rpc';
import type { Validator } from 'ocpp-rpc/lib/validator.js';
import { rpcErrorCode, rpcErrorDetails } from '../../common/rpc-error.js';

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

export const strictModeValidators = [ocpp16Validator, new Ocpp16Validator(NO_SUBPROTOCOL)] as unknown as Validator[];

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
