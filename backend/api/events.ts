// GET /api/events: Server-Sent Events (text/event-stream) of everything the central system emits, from every
// instance. Each message is `id: N`, `event: TYPE`, `data: {the event as JSON}`. A client that reconnects with
// Last-Event-ID (EventSource does it by itself; or ?lastEventId=) first gets what it missed, from the database,
// for as long as events are retained (--event-retention), then the live stream; nothing is sent twice.
//
// Authorization is the API's Bearer token. Browsers' EventSource cannot send headers: use fetch() with a
// ReadableStream (or a library such as @microsoft/fetch-event-source) with the Authorization header.

import type { FastifyInstance } from 'fastify';
import type { StreamSubscriber } from '../events/event-stream.js';
import type { EventsOut } from '../events/events-out.js';
import { EVENT_TYPES, type StoredEvent } from '../events/types.js';
import type { ApiContext } from './context.js';
import { EVENT_EXAMPLES, eventSchema } from './event-schemas.js';
import { commonErrors } from './schemas.js';

interface EventsQuery {
  types?: string[];
  chargePointId?: string;
  lastEventId?: number;
}

/** A client that does not read is cut off once this much waits in its socket's buffer. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const REPLAY_PAGE = 1000;

export async function eventRoutes(app: FastifyInstance, context: ApiContext & { eventsOut: EventsOut }): Promise<void> {
  const { eventsOut } = context;

  app.get<{ Querystring: EventsQuery }>(
    '/api/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Live stream of events (Server-Sent Events), resumable with Last-Event-ID',
        description:
          'text/event-stream. Every message: `id` (the event id), `event` (its type), `data` (the event as JSON, as webhooks receive it). ' +
          'Send `Last-Event-ID` (or `?lastEventId=`) to receive first the events after that id still retained, then the live stream. ' +
          'A comment line is sent every --event-keepalive seconds when idle.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            types: {
              type: 'array',
              items: { type: 'string', enum: [...EVENT_TYPES] },
              description: 'Only these types (repeat, or comma-separated)',
            },
            chargePointId: { type: 'string', description: "Only this charge point's events" },
            lastEventId: { type: 'integer', minimum: 0, description: 'Resume after this id (like Last-Event-ID)' },
          },
        },
        headers: {
          type: 'object',
          properties: { 'last-event-id': { type: 'string', description: 'Resume after this event id' } },
        },
        response: {
          200: {
            description: 'The stream',
            content: {
              'text/event-stream': {
                schema: eventSchema,
                example: EVENT_EXAMPLES.slice(0, 3)
                  .map((event) => `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n`)
                  .join('\n'),
              },
            },
          },
          ...commonErrors,
        },
      },
      // The comma-separated form of ?types=a,b.
      preValidation: async (request) => {
        const query = request.query as { types?: string | string[] };
        if (query.types !== undefined)
          query.types = [query.types]
            .flat()
            .flatMap((value) => String(value).split(','))
            .filter(Boolean);
      },
    },
    async (request, reply) => {
      const headerId = request.headers['last-event-id'];
      const fromHeader = typeof headerId === 'string' && /^\d+$/.test(headerId.trim()) ? Number(headerId) : undefined;
      const resumeAfter = fromHeader ?? request.query.lastEventId;
      const types = request.query.types?.length ? new Set(request.query.types) : undefined;
      const chargePointId = request.query.chargePointId;
      const wanted = (event: StoredEvent) =>
        (!types || types.has(event.type)) &&
        (chargePointId === undefined || (event.data as { chargePointId?: string }).chargePointId === chargePointId);

      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        // nginx and others in front must not buffer the stream.
        'x-accel-buffering': 'no',
      });
      raw.write(`retry: 3000\n\n`);

      let open = true;
      let replaying = resumeAfter !== undefined;
      const held: StoredEvent[] = [];
      const sent = new Set<number>();
      const send = (event: StoredEvent) => {
        if (!open || !wanted(event)) return;
        raw.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
        if (raw.writableLength > MAX_BUFFERED_BYTES) {
          request.log.warn({ buffered: raw.writableLength }, 'event stream client too slow; closing');
          raw.destroy();
        }
      };
      const subscriber: StreamSubscriber = {
        deliver(event) {
          if (replaying) held.push(event);
          else send(event);
        },
        end: () => raw.end(),
      };
      const keepAlive = setInterval(() => open && raw.write(': keepalive\n\n'), eventsOut.keepAliveMs);
      raw.on('close', () => {
        open = false;
        clearInterval(keepAlive);
        eventsOut.hub.detach(subscriber);
      });

      try {
        // Attach first, then replay: whatever is stored meanwhile is held and sent after, minus what the replay sent.
        const liveFrom = await eventsOut.hub.attach(subscriber);
        if (resumeAfter !== undefined) {
          let after = resumeAfter;
          let done = after >= liveFrom;
          while (open && !done) {
            const page = await eventsOut.store.eventsAfter(after, REPLAY_PAGE);
            done = page.length < REPLAY_PAGE;
            for (const event of page) {
              // Beyond what the hub follows from: the live side has it (held).
              if (event.id > liveFrom) {
                done = true;
                break;
              }
              send(event);
              sent.add(event.id);
              after = event.id;
            }
          }
          replaying = false;
          for (const event of held) if (!sent.has(event.id)) send(event);
          held.length = 0;
        }
      } catch (error) {
        request.log.error({ err: error }, 'event stream: replay failed');
        raw.destroy();
      }
    },
  );
}
