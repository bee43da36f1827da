// /api/charge-points/{id}/configuration…: the configuration inventory. GET shows the keys the charger last
// reported (with what the features read from them), /refresh reads them now, /history lists each change seen,
// /diff compares two moments. (POST …/configuration, the pass-through Get/ChangeConfiguration, is in commands.ts;
// its answers are stored here too.)

import type { FastifyInstance } from 'fastify';
import { chargerLimits } from '../ocpp/charger-limits.js';
import { configurationAt, diffConfigurations } from '../ocpp/configuration-inventory.js';
import { CallTimeoutError, ClusterUnavailableError, NotConnectedError } from '../ocpp/connections.js';
import type { ApiContext } from './context.js';
import { chargePointIdParams, commonErrors, errorSchema } from './schemas.js';

const nullableString = { type: ['string', 'null'] } as const;
const nullableInteger = { type: ['integer', 'null'] } as const;
const nullableBoolean = { type: ['boolean', 'null'] } as const;
const nullableList = { type: ['array', 'null'], items: { type: 'string' } } as const;

const configurationSchema = {
  type: 'object',
  properties: {
    chargePointId: { type: 'string' },
    refreshedAt: { ...nullableString, description: 'Last complete GetConfiguration answer' },
    lastError: { ...nullableString, description: 'Why the last refresh failed, if it did' },
    lastErrorAt: nullableString,
    unknownKeys: { type: 'array', items: { type: 'string' } },
    keys: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          key: { type: 'string' },
          value: nullableString,
          readonly: { type: 'boolean' },
          reportedAt: { type: 'string', format: 'date-time' },
        },
      },
    },
    limits: {
      type: 'object',
      description: 'What the features read from the keys (null: the charger did not report it)',
      properties: {
        supportedFeatureProfiles: nullableList,
        numberOfConnectors: nullableInteger,
        getConfigurationMaxKeys: nullableInteger,
        localAuthListEnabled: nullableBoolean,
        localAuthListMaxLength: nullableInteger,
        sendLocalListMaxLength: nullableInteger,
        reserveConnectorZeroSupported: nullableBoolean,
        chargeProfileMaxStackLevel: nullableInteger,
        chargingScheduleAllowedChargingRateUnit: nullableList,
        chargingScheduleMaxPeriods: nullableInteger,
        maxChargingProfilesInstalled: nullableInteger,
      },
    },
  },
} as const;

const changeSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    key: { type: 'string' },
    change: { type: 'string', enum: ['added', 'changed', 'removed'] },
    oldValue: nullableString,
    newValue: nullableString,
    readonly: { type: 'boolean' },
    observedAt: { type: 'string', format: 'date-time' },
    source: { type: 'string', enum: ['GetConfiguration', 'ChangeConfiguration', 'NotifyReport', 'GetVariables'] },
  },
} as const;

export async function configurationRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  const { configurationStore, inventory } = context.features;
  const tags = ['configuration'];
  const view = async (id: string) => {
    const snapshot = await configurationStore.snapshot(id);
    return { ...snapshot, limits: chargerLimits(snapshot.keys) };
  };

  app.get<{ Params: { id: string } }>(
    '/api/charge-points/:id/configuration',
    {
      config: { chargePoint: 'registered' },
      schema: {
        tags,
        summary: 'The configuration keys the charger last reported, and the limits read from them',
        params: chargePointIdParams,
        response: { 200: configurationSchema, 404: errorSchema, ...commonErrors },
      },
    },
    async (request) => {
      return view(request.params.id);
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/charge-points/:id/configuration/refresh',
    {
      // A command to the charger, as the other commands: operator.
      config: { role: 'operator', chargePoint: 'registered' },
      schema: {
        tags,
        summary: 'Read every key from the charger now (GetConfiguration) and store it',
        params: chargePointIdParams,
        response: {
          200: configurationSchema,
          404: errorSchema,
          409: errorSchema,
          502: errorSchema,
          503: errorSchema,
          504: errorSchema,
          ...commonErrors,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      try {
        await inventory.refresh(id);
      } catch (error) {
        if (error instanceof NotConnectedError)
          return reply.code(409).send({ error: 'NotConnected', message: error.message });
        if (error instanceof CallTimeoutError)
          return reply.code(504).send({ error: 'Timeout', message: error.message });
        if (error instanceof ClusterUnavailableError)
          return reply.code(503).send({ error: 'ClusterUnavailable', message: error.message });
        const code = (error as { rpcErrorCode?: string }).rpcErrorCode;
        if (code) return reply.code(502).send({ error: 'ChargerError', code, message: (error as Error).message });
        throw error;
      }
      return view(id);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { key?: string; since?: string; until?: string; limit: number } }>(
    '/api/charge-points/:id/configuration/history',
    {
      config: { chargePoint: 'registered' },
      schema: {
        tags,
        summary: 'Every change of a key seen, oldest first (the first report of each key is "added")',
        params: chargePointIdParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            key: { type: 'string', maxLength: 50 },
            since: { type: 'string', format: 'date-time' },
            until: { type: 'string', format: 'date-time' },
            limit: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 },
          },
        },
        response: { 200: { type: 'array', items: changeSchema }, 404: errorSchema, ...commonErrors },
      },
    },
    async (request) => {
      const { key, since, until, limit } = request.query;
      return configurationStore.history(request.params.id, {
        key,
        since: since && new Date(since).toISOString(),
        until: until && new Date(until).toISOString(),
        limit,
      });
    },
  );

  app.get<{ Params: { id: string }; Querystring: { from: string; to?: string } }>(
    '/api/charge-points/:id/configuration/diff',
    {
      config: { chargePoint: 'registered' },
      schema: {
        tags,
        summary: 'What differs between the configuration at `from` and at `to` (default: now)',
        params: chargePointIdParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['from'],
          properties: { from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              from: { type: 'string' },
              to: { type: 'string' },
              changes: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    key: { type: 'string' },
                    change: { type: 'string', enum: ['added', 'changed', 'removed'] },
                    from: nullableString,
                    to: nullableString,
                  },
                },
              },
            },
          },
          404: errorSchema,
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const from = new Date(request.query.from).toISOString();
      const to = request.query.to ? new Date(request.query.to).toISOString() : new Date().toISOString();
      const history = await configurationStore.history(request.params.id, { until: to, limit: 1_000_000 });
      return { from, to, changes: diffConfigurations(configurationAt(history, from), configurationAt(history, to)) };
    },
  );
}
