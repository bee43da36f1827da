// The tolerant validation policy as the operator sees it: which chargers are off-spec and how
// (GET /api/schema-violations), one charger's newest violations, and its validation mode (a charger being
// certified gets strict, whatever --ocpp-validation says).

import type { FastifyInstance } from 'fastify';
import { VALIDATION_MODES } from '../ocpp/validator.js';
import { emptyBodyAsObject, type ApiContext } from './context.js';
import { chargePointIdParams, commonErrors, errorSchema } from './schemas.js';
import { chargePointNotFound } from './registered-charge-point.js';

interface IdParams {
  id: string;
}

const violationSchema = {
  type: 'object',
  properties: {
    action: { type: 'string' },
    messageId: { type: ['string', 'null'] },
    path: { type: 'string', description: 'JSON pointer of the value in the payload as the charger sent it' },
    keyword: { type: 'string', description: 'The JSON-schema keyword it broke (maxLength, enum, type, ...)' },
    rule: { type: 'string' },
    repair: {
      type: 'string',
      enum: ['kept', 'normalised', 'coerced', 'renamed', 'defaulted', 'dropped'],
      description: 'What ocpp-edge did with it (docs/INTEROP.md)',
    },
    raw: { type: ['string', 'null'], description: 'The value as sent (JSON), when there was one' },
    receivedAt: { type: 'string', format: 'date-time' },
  },
} as const;

const validationSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    override: { type: ['string', 'null'], enum: [...VALIDATION_MODES, null] },
    effective: { type: 'string', enum: VALIDATION_MODES },
  },
} as const;

export async function schemaViolationRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  const { store, validationModes } = context;
  const tags = ['schema violations'];

  app.get(
    '/api/schema-violations',
    {
      schema: {
        tags,
        summary: 'The chargers that sent requests outside their schema, and how (newest kept violations grouped)',
        response: {
          200: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                id: { type: 'string' },
                vendor: { type: ['string', 'null'] },
                model: { type: ['string', 'null'] },
                firmwareVersion: { type: ['string', 'null'] },
                ocppValidation: validationSchema.properties.effective,
                violations: { type: 'integer', description: 'All tolerated so far' },
                lastViolationAt: { type: ['string', 'null'] },
                kinds: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      action: { type: 'string' },
                      keyword: { type: 'string' },
                      path: { type: 'string', description: "JSON pointer, array indices as '*'" },
                      count: { type: 'integer', description: 'Among the kept violations' },
                    },
                  },
                },
              },
            },
          },
          ...commonErrors,
        },
      },
    },
    async () =>
      (await store.listOffSpecChargePoints()).map((row) => ({
        ...row,
        ocppValidation: validationModes.effective(row.ocppValidation),
      })),
  );

  app.get<{ Params: IdParams; Querystring: { limit: number } }>(
    '/api/charge-points/:id/schema-violations',
    {
      schema: {
        tags,
        summary: "A charger's tolerated schema violations, newest first, with its count and validation mode",
        params: chargePointIdParams,
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              ocppValidation: validationSchema,
              count: { type: 'integer' },
              lastViolationAt: { type: ['string', 'null'] },
              violations: { type: 'array', items: violationSchema },
            },
          },
          404: errorSchema,
          ...commonErrors,
        },
      },
    },
    async (request, reply) => {
      const row = await store.getChargePoint(request.params.id);
      if (!row) return reply.code(404).send(chargePointNotFound(request.params.id));
      return {
        id: row.id,
        ocppValidation: validationView(row.id, row.ocppValidation, validationModes.effective(row.ocppValidation)),
        count: row.schemaViolations,
        lastViolationAt: row.lastSchemaViolationAt,
        violations: await store.listSchemaViolations(row.id, request.query.limit),
      };
    },
  );

  app.put<{ Params: IdParams; Body: { mode?: 'tolerant' | 'strict' | 'default' } }>(
    '/api/charge-points/:id/ocpp-validation',
    {
      preValidation: emptyBodyAsObject,
      schema: {
        tags,
        summary: "Set a charger's validation mode: strict, tolerant, or default (--ocpp-validation)",
        description: 'Applies at once when the charger is connected to this instance, else at its next connection.',
        params: chargePointIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['mode'],
          properties: { mode: { type: 'string', enum: [...VALIDATION_MODES, 'default'] } },
        },
        response: { 200: validationSchema, 404: errorSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const override = request.body.mode === 'default' || request.body.mode === undefined ? null : request.body.mode;
      if (!(await store.setValidationMode(id, override))) return reply.code(404).send(chargePointNotFound(id));
      validationModes.apply(id, override);
      context.logger.info(
        { chargePointId: id, override, effective: validationModes.effective(override) },
        'validation mode set',
      );
      return validationView(id, override, validationModes.effective(override));
    },
  );
}

function validationView(id: string, override: string | null, effective: string) {
  return { id, override, effective };
}
