// /api/transactions: charging sessions with their energy and meter values; filtered, paged by cursor, and
// exported whole as CSV.

import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { toUtc } from '../ocpp/timestamps.js';
import type { Store, TransactionFilter } from '../store/store.js';
import { badRequest, notFound, type ApiContext } from './context.js';
import { csvRow } from './csv.js';
import { cursorParameter, decodeCursor, linkNextPage } from './paging.js';
import { commonErrors, errorSchema, meterValueSchema, transactionSchema } from './schemas.js';

export async function transactionRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  const { store } = context;
  const tags = ['transactions'];

  app.get<{ Querystring: TransactionQuery & { limit: number; cursor?: string } }>(
    '/api/transactions',
    {
      schema: {
        tags,
        summary: 'Transactions, newest first, a page at a time',
        description:
          'When more may follow, the answer has `Link: <…>; rel="next"` and `X-Next-Cursor`: pass it as `cursor` for the next page. For every matching transaction at once, GET /api/transactions/export.csv.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...filterProperties,
            cursor: cursorParameter,
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        },
        response: { 200: { type: 'array', items: transactionSchema }, ...commonErrors },
      },
    },
    async (request, reply) => {
      const filter = transactionFilter(request.query);
      const position = request.query.cursor === undefined ? undefined : decodeCursor(request.query.cursor);
      if (request.query.cursor !== undefined && typeof position !== 'number')
        return reply.code(400).send(badRequest('cursor is not one this API gave'));
      const beforeId = position as number | undefined;
      const page = await store.listTransactions({ ...filter, beforeId, limit: request.query.limit });
      linkNextPage(request, reply, page.length === request.query.limit, page.at(-1)?.id);
      return page;
    },
  );

  app.get<{ Querystring: TransactionQuery }>(
    '/api/transactions/export.csv',
    {
      schema: {
        tags,
        summary: 'Every matching transaction as CSV (newest first), for billing and the rollback export',
        description:
          'Same filters as GET /api/transactions, no limit: read from storage a page at a time as it streams.',
        produces: ['text/csv'],
        querystring: { type: 'object', additionalProperties: false, properties: filterProperties },
      },
    },
    async (request, reply) => {
      const filter = transactionFilter(request.query);
      reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="transactions.csv"')
        .header('cache-control', 'no-store');
      return reply.send(Readable.from(csvTransactions(store, filter)));
    },
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

interface TransactionQuery {
  chargePointId?: string;
  idTag?: string;
  active?: boolean;
  flagged?: boolean;
  since?: string;
  until?: string;
}

const filterProperties = {
  chargePointId: { type: 'string' },
  idTag: { type: 'string' },
  active: { type: 'boolean', description: 'true: running only; false: finished only' },
  since: { type: 'string', format: 'date-time', description: 'Started at or after (ISO-8601)' },
  until: { type: 'string', format: 'date-time', description: 'Started before (ISO-8601)' },
  flagged: { type: 'boolean', description: 'true: only those with flags (suspect data); false: none' },
} as const;

/** Times as stored (UTC), so they compare with start_time. */
function transactionFilter(query: TransactionQuery): Omit<TransactionFilter, 'limit'> {
  return {
    chargePointId: query.chargePointId,
    idTag: query.idTag,
    active: query.active,
    flagged: query.flagged,
    since: query.since === undefined ? undefined : toUtc(query.since),
    until: query.until === undefined ? undefined : toUtc(query.until),
  };
}

const EXPORT_PAGE = 1000;
const CSV_COLUMNS = [
  'id',
  'chargePointId',
  'connectorId',
  'idTag',
  'startTime',
  'stopTime',
  'meterStart',
  'meterStop',
  'energyWh',
  'stopReason',
  'reservationId',
];

async function* csvTransactions(store: Store, filter: Omit<TransactionFilter, 'limit'>): AsyncGenerator<string> {
  yield csvRow(CSV_COLUMNS);
  let beforeId: number | undefined;
  for (;;) {
    const page = await store.listTransactions({ ...filter, beforeId, limit: EXPORT_PAGE });
    for (const t of page)
      yield csvRow([
        t.id,
        t.chargePointId,
        t.connectorId,
        t.idTag,
        t.startTime,
        t.stopTime,
        t.meterStart,
        t.meterStop,
        t.energy,
        t.stopReason,
        t.reservationId,
      ]);
    if (page.length < EXPORT_PAGE) return;
    beforeId = page.at(-1)!.id;
  }
}
