// /api/webhooks: subscriptions (a URL, the event types it wants, its signing secret) and each one's delivery log.
// Deliveries are signed (see backend/events/signature.ts) and retried by backend/events/webhook-dispatcher.ts.

import type { FastifyInstance } from 'fastify';
import type { EventsOut } from '../events/events-out.js';
import { newWebhookSecret } from '../events/signature.js';
import type { EventType } from '../events/types.js';
import type { DeliveryStatus, WebhookSubscription } from '../store/event-store.js';
import { emptyBodyAsObject, notFound, type ApiContext } from './context.js';
import { EVENT_EXAMPLES, eventTypeSchema } from './event-schemas.js';
import { commonErrors, errorSchema } from './schemas.js';

interface SubscriptionBody {
  url: string;
  eventTypes?: EventType[];
  secret?: string;
  description?: string | null;
  enabled?: boolean;
}

const subscriptionSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    url: { type: 'string' },
    eventTypes: { type: 'array', items: eventTypeSchema, description: 'Empty: every type' },
    description: { type: ['string', 'null'] },
    enabled: { type: 'boolean' },
    createdAt: { type: 'string', format: 'date-time' },
    secret: {
      type: 'string',
      description: 'The signing secret: only in the answer to POST (and PATCH setting a new one)',
    },
  },
} as const;

const deliverySchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    subscriptionId: { type: 'integer' },
    eventId: { type: 'integer' },
    eventType: { type: ['string', 'null'] },
    status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
    attempts: { type: 'integer' },
    nextAttemptAt: { type: 'string', format: 'date-time', description: 'When pending: the next attempt' },
    lastAttemptAt: { type: ['string', 'null'] },
    lastError: {
      type: ['string', 'null'],
      description: 'What the last failed attempt got (HTTP status and body, or the network error)',
    },
    lastStatusCode: { type: ['integer', 'null'] },
    deliveredAt: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

const subscriptionBodyProperties = {
  url: { type: 'string', pattern: '^https?://', maxLength: 2000, description: 'Receives a POST per event' },
  eventTypes: { type: 'array', items: eventTypeSchema, uniqueItems: true, description: 'Empty or absent: every type' },
  secret: { type: 'string', minLength: 16, maxLength: 200, description: 'HMAC key; generated when absent' },
  description: { type: ['string', 'null'], maxLength: 500 },
  enabled: { type: 'boolean' },
} as const;

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'integer', minimum: 1 } },
} as const;

export async function webhookRoutes(
  app: FastifyInstance,
  context: ApiContext & { eventsOut: EventsOut },
): Promise<void> {
  const store = context.eventsOut.store;
  const tags = ['webhooks'];
  const deliveryDescription =
    'Each event is POSTed as JSON (the same object /api/events streams) with the headers ocpp-edge-event-id, ' +
    'ocpp-edge-event-type, ocpp-edge-delivery-attempt and ocpp-edge-signature: t=UNIX_SECONDS,v1=HEX, where HEX is ' +
    'HMAC-SHA256(secret, "{t}.{body}"). Any 2xx within --webhook-timeout is delivered; anything else is retried ' +
    'with exponential back-off (--webhook-retry-base, doubling, at most 1 h) up to --webhook-max-attempts.';

  app.post<{ Body: SubscriptionBody }>(
    '/api/webhooks',
    {
      schema: {
        tags,
        summary: 'Subscribe a URL to events',
        description: deliveryDescription,
        body: {
          type: 'object',
          required: ['url'],
          additionalProperties: false,
          properties: subscriptionBodyProperties,
          examples: [
            { url: 'https://hooks.example.com/ocpp', eventTypes: ['transaction.started', 'transaction.stopped'] },
          ],
        },
        response: { 201: subscriptionSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const { url, eventTypes = [], secret = newWebhookSecret(), description = null, enabled = true } = request.body;
      if (!validUrl(url)) return reply.code(400).send({ error: 'BadRequest', message: `url is not a URL: ${url}` });
      const created = await store.createSubscription(
        { url, eventTypes, secret, description, enabled },
        new Date().toISOString(),
      );
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/api/webhooks',
    {
      schema: {
        tags,
        summary: 'List webhook subscriptions',
        response: { 200: { type: 'array', items: subscriptionSchema }, ...commonErrors },
      },
    },
    async () => (await store.listSubscriptions()).map(withoutSecret),
  );

  app.get<{ Params: { id: number } }>(
    '/api/webhooks/:id',
    {
      schema: {
        tags,
        summary: 'One webhook subscription',
        params: idParams,
        response: { 200: subscriptionSchema, 404: errorSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const subscription = await store.getSubscription(request.params.id);
      if (!subscription) return reply.code(404).send(notFound(`no webhook ${request.params.id}`));
      return withoutSecret(subscription);
    },
  );

  app.patch<{ Params: { id: number }; Body: Partial<SubscriptionBody> }>(
    '/api/webhooks/:id',
    {
      preValidation: emptyBodyAsObject,
      schema: {
        tags,
        summary: 'Change a subscription (URL, types, secret, enabled)',
        params: idParams,
        body: { type: 'object', additionalProperties: false, properties: subscriptionBodyProperties },
        response: { 200: subscriptionSchema, 404: errorSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      if (request.body.url !== undefined && !validUrl(request.body.url))
        return reply.code(400).send({ error: 'BadRequest', message: `url is not a URL: ${request.body.url}` });
      const updated = await store.updateSubscription(request.params.id, request.body);
      if (!updated) return reply.code(404).send(notFound(`no webhook ${request.params.id}`));
      return request.body.secret === undefined ? withoutSecret(updated) : updated;
    },
  );

  app.delete<{ Params: { id: number } }>(
    '/api/webhooks/:id',
    {
      schema: {
        tags,
        summary: 'Remove a subscription and its delivery log',
        params: idParams,
        response: { 204: { type: 'null' }, 404: errorSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      if (!(await store.deleteSubscription(request.params.id)))
        return reply.code(404).send(notFound(`no webhook ${request.params.id}`));
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { id: number }; Querystring: { status?: DeliveryStatus; limit: number; before?: number } }>(
    '/api/webhooks/:id/deliveries',
    {
      schema: {
        tags,
        summary: "The subscription's delivery log, newest first",
        params: idParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            before: { type: 'integer', minimum: 1, description: 'Page: deliveries with a lower id' },
          },
        },
        response: {
          200: {
            type: 'array',
            items: deliverySchema,
            examples: [
              [
                {
                  id: 311,
                  subscriptionId: 4,
                  eventId: EVENT_EXAMPLES[4].id,
                  eventType: EVENT_EXAMPLES[4].type,
                  status: 'pending',
                  attempts: 3,
                  nextAttemptAt: '2026-01-05T08:16:22.000Z',
                  lastAttemptAt: '2026-01-05T08:15:42.000Z',
                  lastError: 'HTTP 503: upstream unavailable',
                  lastStatusCode: 503,
                  deliveredAt: null,
                  createdAt: '2026-01-05T08:15:02.000Z',
                },
              ],
            ],
          },
          404: errorSchema,
          ...commonErrors,
        },
      },
    },
    async (request, reply) => {
      if (!(await store.getSubscription(request.params.id)))
        return reply.code(404).send(notFound(`no webhook ${request.params.id}`));
      return store.listDeliveries(request.params.id, {
        status: request.query.status,
        limit: request.query.limit,
        beforeId: request.query.before,
      });
    },
  );

  app.post<{ Params: { id: number; deliveryId: number } }>(
    '/api/webhooks/:id/deliveries/:deliveryId/redeliver',
    {
      schema: {
        tags,
        summary: 'Send a delivery again now (a failed one, or one already delivered)',
        params: {
          type: 'object',
          required: ['id', 'deliveryId'],
          properties: { id: { type: 'integer', minimum: 1 }, deliveryId: { type: 'integer', minimum: 1 } },
        },
        response: { 202: { type: 'null' }, 404: errorSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const queued = await store.redeliver(request.params.id, request.params.deliveryId, new Date().toISOString());
      if (!queued)
        return reply
          .code(404)
          .send(notFound(`no delivery ${request.params.deliveryId} of webhook ${request.params.id}`));
      return reply.code(202).send();
    },
  );
}

function withoutSecret(subscription: WebhookSubscription): Omit<WebhookSubscription, 'secret'> {
  const { secret: _secret, ...rest } = subscription;
  return rest;
}

function validUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:';
  } catch {
    return false;
  }
}
