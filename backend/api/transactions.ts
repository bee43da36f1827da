// /api/transactions: charging sessions with their energy and meter values.

import type { FastifyInstance } from 'fastify';
import { notFound, type ApiContext } from './context.js';
import { commonErrors, errorSchema, meterValueSchema, transactionSchema } from './schemas.js';

export async function transactionRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  const { store } = context;
  const tags = ['transactions'];

  app.get<{ Querystring: { chargePointId?: string; active?: boolean; flagged?: boolean; limit: number } }>(
    '/api/transactions',
    {
      schema: {
        tags,
        summary: 'Transactions, newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            chargePointId: { type: 'string' },
            active: { type: 'boolean', description: 'true: running only; false: finished only' },
            flagged: { type: 'boolean', description: 'true: only those with flags (suspect data); false: none' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        },
        response: { 200: { type: 'array', items: transactionSchema }, ...commonErrors },
      },
    },
    async (request) => store.listTransactions(request.query),
  );

  app.get<{ Querystring: { chargePointId?: string; limit: number } }>(
    '/api/transactions/unmatched-stops',
    {
      schema: {
        tags,
        summary: 'StopTransactions for transactions this central system does not know: answered, and kept here',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            chargePointId: { type: 'string' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        },
        response: {
          200: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                chargePointId: { type: 'string' },
                transactionId: { type: 'integer', description: 'As the charger named it' },
                meterStop: { type: 'integer', description: 'Wh' },
                stopTime: { type: 'string' },
                stopReason: { type: ['string', 'null'] },
                idTag: { type: ['string', 'null'] },
                receivedAt: { type: 'string' },
              },
            },
          },
          ...commonErrors,
        },
      },
    },
    async (request) => store.listUnmatchedStops(request.query),
  );

  app.get<{ Params: { id: number } }>(
    '/api/transactions/:id',
    {
      schema: {
        tags,
        summary: 'One transaction with its meter values',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } },
        response: {
          200: {
            type: 'object',
            properties: {
              ...transactionSchema.properties,
              meterValues: { type: 'array', items: meterValueSchema },
              events: {
                type: 'array',
                description: 'OCPP 2.0.1: its TransactionEvent requests in seqNo order (none for 1.6)',
                items: {
                  type: 'object',
                  properties: {
                    seqNo: { type: 'integer' },
                    eventType: { type: 'string', enum: ['Started', 'Updated', 'Ended'] },
                    triggerReason: { type: 'string' },
                    timestamp: { type: 'string', format: 'date-time' },
                    offline: { type: 'boolean', description: 'sent from the offline queue' },
                    chargingState: { type: 'string' },
                    idToken: { type: 'string' },
                    receivedAt: { type: 'string', format: 'date-time' },
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
    async (request, reply) => {
      const transaction = await store.getTransaction(request.params.id);
      if (!transaction) return reply.code(404).send(notFound(`transaction ${request.params.id} does not exist`));
      const meterValues = await store.listMeterValues(transaction.id);
      if (transaction.ocppVersion !== '2.0.1') return { ...transaction, meterValues };
      return { ...transaction, meterValues, events: await store.listTransactionEvents(transaction.id) };
    },
  );
}
