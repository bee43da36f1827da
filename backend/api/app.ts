// The backend's HTTP application: the REST API under /api/ (Bearer tokens), OpenAPI at /docs, CORS for the
// configured origins, and the public GET /health and GET /. Prometheus metrics are not here: they are served on
// the private metrics listener (--metrics-host/--metrics-port, backend/server.ts), because this port is what the
// proxy forwards / to, and whatever it serves is public.

import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { hasProxyOwnedHeaders } from '../../common/transport-header.js';
import { UPGRADE_REFUSALS } from '../security/upgrade-refusals.js';
import { bearerAuth } from './bearer-auth.js';
import { requireRegisteredChargePoint } from './registered-charge-point.js';
import type { OidcVerifier } from './oidc.js';
import { consoleRoutes } from '../console/serve.js';
import type { ProxyStatusWatcher } from '../edge/proxy-status.js';
import { edgeRoutes } from './edge.js';
import { chargePointRoutes } from './charge-points.js';
import { schemaViolationRoutes } from './schema-violations.js';
import { securityRoutes } from './security.js';
import { securityProfileRoutes } from './security-profile.js';
import { commandRoutes } from './commands.js';
import { deviceModelRoutes } from './device-model.js';
import { chargingGroupRoutes } from './charging-groups.js';
import { chargingProfileRoutes } from './charging-profiles.js';
import { configurationRoutes } from './configuration.js';
import type { ApiContext } from './context.js';
import { eventRoutes } from './events.js';
import { idTagRoutes } from './id-tags.js';
import { localListRoutes } from './local-lists.js';
import { reservationRoutes } from './reservations.js';
import { transactionRoutes } from './transactions.js';
import { webhookRoutes } from './webhooks.js';

/** What SIGHUP may replace while serving (backend/server.ts reload): read at each request. */
export interface ApiSettings {
  /** --api-token values: `ROLE:TOKEN` or a bare (admin) `TOKEN`. */
  apiTokens: readonly string[];
  corsOrigins: readonly string[];
}

export interface ApiOptions {
  /** Replaced in place by a reload. */
  settings: ApiSettings;
  /** With --oidc-issuer: JWTs from that provider are accepted too. */
  oidc?: OidcVerifier;
  /** The proxies read for GET /api/edge (the console's Edge page). */
  edge?: ProxyStatusWatcher;
  /** Where the built console is (tests); default dist/console. */
  consoleRoot?: string;
  version: string;
}

const HEALTH_TIMEOUT_MS = 2000;

export async function buildApi(context: ApiContext, options: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: context.logger.child({ component: 'http' }) as FastifyBaseLogger,
    // Requests are logged once, at debug, by the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true }),
    // Reject unknown body fields (400 naming them) instead of silently dropping them; query strings still coerce.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array' } },
    bodyLimit: 1024 * 1024,
  });

  const { settings } = options;
  await app.register(cors, {
    // A function, so a reload's new list applies to the next request.
    origin: (origin, callback) => callback(null, origin !== undefined && settings.corsOrigins.includes(origin)),
    credentials: true,
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'ocpp-edge central system',
        description: 'OCPP 1.6-J and 2.0.1 central system: charge points, transactions, id tags and commands',
        version: options.version,
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  if (settings.apiTokens.length === 0 && !options.oidc)
    context.logger.warn('no --api-token or --oidc-issuer configured: every /api/ request will be refused (401)');
  const requireToken = bearerAuth(() => settings.apiTokens, options.oidc);
  app.addHook('onRequest', async (request, reply) => {
    // Only a proxy of ours sets the client-certificate and transport headers: from anyone else they are forged, on
    // every route.
    const trusted = context.trustedProxies;
    if (trusted && hasProxyOwnedHeaders(request.headers) && !trusted.trusts(request.socket.remoteAddress)) {
      context.logger.warn(
        { remoteAddress: request.socket.remoteAddress, url: request.url },
        'request refused: client-certificate headers from an untrusted address',
      );
      return reply.code(403).send({ error: 'Forbidden', message: UPGRADE_REFUSALS.untrusted_proxy_headers.message });
    }
    // By path and by matched route, so no spelling of a URL reaches an /api/ route without a token.
    const route = request.routeOptions.url ?? '';
    if (request.url === '/api' || request.url.startsWith('/api/') || route.startsWith('/api'))
      await requireToken(request, reply);
  });
  // After authorization: a caller without the role gets 401/403, never a hint whether a charger exists.
  app.addHook('preHandler', requireRegisteredChargePoint(context.store));
  // A change the API answers for is on disk before the answer leaves (SQLite's group commit; free on PostgreSQL).
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.method === 'GET' || request.method === 'HEAD' || reply.statusCode >= 500) return payload;
    try {
      await context.store.durable();
      return payload;
    } catch (error) {
      request.log.error({ err: error, url: request.url }, 'the change could not be synced to disk');
      reply.code(500);
      return JSON.stringify({ error: 'InternalError', message: 'the change could not be synced to disk' });
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    context.metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    const line = {
      method: request.method,
      url: request.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
    };
    // Every change made through the API (a command to a charger, a write) is logged with who sent it.
    if (request.principal && request.method !== 'GET' && request.method !== 'HEAD')
      request.log.info({ ...line, who: request.principal.id, role: request.principal.role }, 'api command');
    else request.log.debug(line, 'http request');
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) return reply.code(400).send({ error: 'BadRequest', message: error.message });
    if (error.statusCode && error.statusCode < 500)
      return reply.code(error.statusCode).send({ error: error.code ?? 'BadRequest', message: error.message });
    request.log.error({ err: error, url: request.url }, 'request failed');
    return reply.code(500).send({ error: 'InternalError', message: 'Internal server error' });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'NotFound', message: `no route ${request.method} ${request.url.split('?')[0]}` }),
  );

  app.get('/', { schema: { hide: true, response: { 200: linksSchema } } }, async () => ({
    service: 'ocpp-edge backend',
    ocpp: '/ocpp/{chargePointId}',
    api: '/api/',
    docs: '/docs',
    console: '/console/',
    health: '/health',
  }));

  app.get(
    '/health',
    {
      schema: {
        summary: 'Liveness, storage and (several instances) Redis status (public)',
        description:
          'ok; degraded (200): Redis unreachable, this instance serves its own charge points only; unavailable (503): storage down',
        security: [],
        response: {
          200: healthSchema,
          503: healthSchema,
        },
      },
    },
    async (_request, reply) => {
      const [storage, cluster] = await Promise.all([
        withTimeout(context.store.ping(), HEALTH_TIMEOUT_MS).then(
          () => ({ status: 'up' as const, dialect: context.store.dialect }),
          (error: Error) => {
            // /health is public (the proxy forwards it): the driver's message may name hosts, users or paths, so it
            // goes to the log and the answer says only what kind of failure it was.
            context.logger.warn({ err: error.message }, 'health: storage check failed');
            const kind = error.message.startsWith('no answer within') ? 'timeout' : 'query failed';
            return { status: 'down' as const, dialect: context.store.dialect, error: kind };
          },
        ),
        context.cluster?.health(),
      ]);
      // This instance's own sockets: what a load balancer or an operator looking at one instance wants to know.
      const connectedChargePoints = cluster
        ? cluster.chargePointsHere
        : (await context.connections.connectedIds()).length;
      const redis = cluster && { status: cluster.redis, instanceId: cluster.instanceId };
      if (storage.status === 'down')
        return reply.code(503).send({ status: 'unavailable', storage, redis, connectedChargePoints });
      return { status: redis?.status === 'down' ? 'degraded' : 'ok', storage, redis, connectedChargePoints };
    },
  );

  app.get(
    '/api/',
    { schema: { tags: ['meta'], summary: "The API's entry points", response: { 200: linksSchema } } },
    async () => ({
      chargePoints: '/api/charge-points',
      transactions: '/api/transactions',
      idTags: '/api/id-tags',
      transactionsExport: '/api/transactions/export.csv',
      events: '/api/events',
      webhooks: '/api/webhooks',
      schemaViolations: '/api/schema-violations',
      docs: '/docs',
    }),
  );

  app.get(
    '/api/me',
    {
      schema: {
        tags: ['meta'],
        summary: 'Who the bearer token is and what it may do',
        response: {
          200: {
            type: 'object',
            properties: { id: { type: 'string' }, role: { type: 'string' }, name: { type: 'string' } },
          },
        },
      },
    },
    async (request) => request.principal,
  );

  await consoleRoutes(app, { oidc: options.oidc, root: options.consoleRoot });
  await edgeRoutes(app, options.edge);
  await chargePointRoutes(app, context);
  await securityRoutes(app, context);
  await securityProfileRoutes(app, context);
  await commandRoutes(app, context);
  await transactionRoutes(app, context);
  await idTagRoutes(app, context);
  await deviceModelRoutes(app, context);
  await configurationRoutes(app, context);
  await localListRoutes(app, context);
  await reservationRoutes(app, context);
  await chargingProfileRoutes(app, context);
  await chargingGroupRoutes(app, context);
  await eventRoutes(app, context);
  await webhookRoutes(app, context);
  await schemaViolationRoutes(app, context);
  return app;
}

const linksSchema = { type: 'object', additionalProperties: { type: 'string' } } as const;

const healthSchema = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'degraded', 'unavailable'] },
    storage: {
      type: 'object',
      properties: {
        status: { type: 'string', enum: ['up', 'down'] },
        dialect: { type: 'string' },
        error: { type: 'string' },
      },
    },
    redis: {
      type: 'object',
      description: 'Only when this backend is one of several (--redis)',
      properties: { status: { type: 'string', enum: ['up', 'down'] }, instanceId: { type: 'string' } },
    },
    connectedChargePoints: { type: 'integer', description: 'Charge points connected to this instance' },
  },
} as const;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
