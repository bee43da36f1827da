// /api/charge-points/{id}/variables and …/device-events: what an OCPP 2.0.1 charger says about itself. Its device
// model (the configuration inventory) is filled by NotifyReport (after GetBaseReport), GetVariables and
// SetVariables answers and NotifyEvent; the events are NotifyEvent's, newest first.

import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './context.js';
import { chargePointIdParams, commonErrors, errorSchema } from './schemas.js';

interface IdParams {
  id: string;
}

const componentFields = {
  component: { type: 'string' },
  componentInstance: { type: 'string' },
  evseId: { type: 'integer' },
  evseConnectorId: { type: 'integer' },
  variable: { type: 'string' },
  variableInstance: { type: 'string' },
} as const;

const variableSchema = {
  type: 'object',
  properties: {
    ...componentFields,
    attributeType: { type: 'string', description: 'Actual, Target, MinSet or MaxSet' },
    value: { type: 'string' },
    mutability: { type: 'string' },
    persistent: { type: 'boolean' },
    constant: { type: 'boolean' },
    dataType: { type: 'string' },
    unit: { type: 'string' },
    source: { type: 'string', description: 'The message that last set it' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

const deviceEventSchema = {
  type: 'object',
  properties: {
    eventId: { type: 'integer' },
    timestamp: { type: 'string', format: 'date-time' },
    trigger: { type: 'string' },
    notificationType: { type: 'string' },
    ...componentFields,
    actualValue: { type: 'string' },
    cleared: { type: 'boolean' },
    cause: { type: 'integer' },
    techCode: { type: 'string' },
    techInfo: { type: 'string' },
    transactionId: { type: 'string' },
    variableMonitoringId: { type: 'integer' },
    receivedAt: { type: 'string', format: 'date-time' },
  },
} as const;

export async function deviceModelRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  const { store } = context;
  const tags = ['charge points'];

  app.get<{ Params: IdParams; Querystring: { component?: string } }>(
    '/api/charge-points/:id/variables',
    {
      config: { chargePoint: 'registered' },
      schema: {
        tags,
        summary: "An OCPP 2.0.1 charger's device model as last reported (NotifyReport, Get/SetVariables, NotifyEvent)",
        params: chargePointIdParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { component: { type: 'string', maxLength: 50 } },
        },
        response: { 200: { type: 'array', items: variableSchema }, 404: errorSchema, ...commonErrors },
      },
    },
    async (request) => {
      return store.listDeviceVariables(request.params.id, request.query.component);
    },
  );

  app.get<{ Params: IdParams; Querystring: { limit: number } }>(
    '/api/charge-points/:id/device-events',
    {
      config: { chargePoint: 'registered' },
      schema: {
        tags,
        summary: 'OCPP 2.0.1 NotifyEvent events of the charger, newest first',
        params: chargePointIdParams,
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
        },
        response: { 200: { type: 'array', items: deviceEventSchema }, 404: errorSchema, ...commonErrors },
      },
    },
    async (request) => {
      return store.listDeviceEvents(request.params.id, request.query.limit);
    },
  );
}
