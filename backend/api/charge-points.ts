// /api/charge-points: the registered charge points, their connectors and status history; register, set the
// HTTP Basic password, remove.

import type { FastifyInstance } from 'fastify';
import { CallTimeoutError, NotConnectedError } from '../ocpp/connections.js';
import { authorizationKeyBytes, newAuthorizationKey } from '../security/authorization-key.js';
import { OCPP_VERSIONS } from '../../common/ocpp-versions.js';
import { hashPassword } from '../security/passwords.js';
import { SECURITY_PROFILES, usesPassword, type SecurityProfile } from '../security/security-profile.js';
import type { EvseConnectorStatus } from '../store/ocpp201-records.js';
import type { ChargePoint, Connector } from '../store/store.js';
import { cursorParameter, decodeCursor, linkNextPage } from './paging.js';
import { badRequest, emptyBodyAsObject, type ApiContext } from './context.js';
import { chargePointIdParams, chargePointSchema, commonErrors, errorSchema } from './schemas.js';
import { chargePointNotFound } from './registered-charge-point.js';

interface IdParams {
  id: string;
}

interface ChargePointQuery {
  limit: number;
  cursor?: string;
  after?: string;
  q?: string;
  connected?: boolean;
  seenSince?: string;
}

export async function chargePointRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  const { store, connections } = context;
  const tags = ['charge points'];

  app.get<{ Querystring: ChargePointQuery }>(
    '/api/charge-points',
    {
      schema: {
        tags,
        summary: 'List charge points in id order, a page at a time',
        description:
          'At most `limit` charge points, from the start, after `cursor` or after the identity `after`. When there ' +
          'may be more, the `Link` header names the next page (rel="next") and `X-Next-Cursor` its cursor.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 1000 },
            cursor: cursorParameter,
            after: { type: 'string', maxLength: 255, description: 'Start after this identity (instead of cursor)' },
            q: { type: 'string', maxLength: 100, description: 'Substring of identity, vendor, model or serial number' },
            connected: { type: 'boolean', description: 'true: connected now; false: not connected' },
            seenSince: { type: 'string', format: 'date-time', description: 'Last heartbeat at or after this time' },
          },
        },
        response: { 200: { type: 'array', items: chargePointSchema }, ...commonErrors },
      },
    },
    async (request, reply) => {
      const { limit, cursor, q, connected, seenSince } = request.query;
      const position = cursor === undefined ? request.query.after : decodeCursor(cursor);
      if (cursor !== undefined && typeof position !== 'string')
        return reply.code(400).send(badRequest('cursor is not one this API gave'));
      const after = position as string | undefined;
      const online = new Set(await connections.connectedIds());
      const chargePoints = await store.listChargePoints({
        after,
        limit,
        search: q,
        seenSince,
        onlyIds: connected === true ? [...online] : undefined,
        exceptIds: connected === false ? [...online] : undefined,
      });
      linkNextPage(request, reply, chargePoints.length === limit, chargePoints.at(-1)?.id);
      return chargePoints.map((chargePoint) => chargePointView(chargePoint, online.has(chargePoint.id)));
    },
  );

  app.get(
    '/api/fleet/summary',
    {
      schema: {
        tags,
        summary: 'Charge points counted by state: registered, connected, with a faulted connector',
        response: {
          200: {
            type: 'object',
            properties: {
              registered: { type: 'integer' },
              connected: { type: 'integer' },
              disconnected: { type: 'integer' },
              faulted: { type: 'integer', description: 'With at least one connector in Faulted' },
              charging: { type: 'integer', description: 'With at least one connector in Charging' },
            },
          },
          ...commonErrors,
        },
      },
    },
    async () => {
      const [counts, online] = await Promise.all([store.fleetCounts(), connections.connectedIds()]);
      const connected = online.length;
      return { ...counts, connected, disconnected: Math.max(0, counts.registered - connected) };
    },
  );

  app.get<{ Params: IdParams }>(
    '/api/charge-points/:id',
    {
      schema: {
        tags,
        summary: 'One charge point with its connectors',
        params: chargePointIdParams,
        response: { 200: chargePointSchema, 404: errorSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const chargePoint = await store.getChargePoint(request.params.id);
      if (!chargePoint) return reply.code(404).send(chargePointNotFound(request.params.id));
      const [connectors, connected, evseConnectors] = await Promise.all([
        store.listConnectors(chargePoint.id),
        connections.isConnected(chargePoint.id),
        store.listEvseConnectors(chargePoint.id),
      ]);
      return chargePointView(chargePoint, connected, connectors, evseConnectors);
    },
  );

  app.put<{
    Params: IdParams;
    Body: {
      password?: string | null;
      authorizationKey?: string;
      authorizationKeyText?: string;
      securityProfile?: SecurityProfile;
      ocppVersions?: string[] | null;
    };
  }>(
    '/api/charge-points/:id',
    {
      preValidation: emptyBodyAsObject,
      schema: {
        tags,
        summary: 'Register a charge point, or set its HTTP Basic password, security profile and OCPP versions',
        description:
          'password: set it (stored as a salted scrypt hash); null: remove it; absent: keep it. securityProfile (0-3): ' +
          'what the charger must present at the upgrade from now on (1, 2: a password; 2, 3: TLS; 3: a client ' +
          'certificate with CN = id and O = --cpo-name); absent: keep it. authorizationKey (hex) or authorizationKeyText: ' +
          'the password as the whitepaper defines it, 16-20 bytes, compared on its bytes. ocppVersions: the OCPP ' +
          'versions it is served with, preferred first (overrides --ocpp-versions from its next connection); null: ' +
          'back to the server default. 201 when created.',
        params: chargePointIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            password: {
              type: ['string', 'null'],
              minLength: 8,
              maxLength: 128,
              description: 'OCPP 1.6 security whitepaper: 16 to 40 characters recommended',
            },
            authorizationKey: {
              type: 'string',
              description: 'The AuthorizationKey as hex, 16-20 bytes (32-40 hex digits): the Basic auth password',
            },
            authorizationKeyText: { type: 'string', description: 'The AuthorizationKey as text, 16-20 bytes of UTF-8' },
            securityProfile: { type: 'integer', enum: [...SECURITY_PROFILES] },
            ocppVersions: {
              type: ['array', 'null'],
              items: { type: 'string', enum: [...OCPP_VERSIONS] },
              minItems: 1,
              uniqueItems: true,
              description: 'e.g. ["2.0.1"] to serve it only with OCPP 2.0.1, ["2.0.1","1.6"] to prefer 2.0.1',
            },
          },
        },
        response: { 200: chargePointSchema, 201: chargePointSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { authorizationKey, authorizationKeyText, securityProfile } = request.body ?? {};
      let password: string | Buffer | null | undefined = request.body?.password;
      const keyInputs = [password, authorizationKey, authorizationKeyText].filter((value) => value !== undefined);
      if (keyInputs.length > 1)
        return reply.code(400).send(badRequest('give one of password, authorizationKey, authorizationKeyText'));
      if (authorizationKey !== undefined || authorizationKeyText !== undefined) {
        const key = authorizationKeyBytes(
          authorizationKey !== undefined ? { hex: authorizationKey } : { text: authorizationKeyText! },
        );
        if (!key.ok) return reply.code(400).send(badRequest(key.reason));
        password = key.key;
      }
      const current = await store.getChargePoint(id);
      const profile = securityProfile ?? current?.securityProfile ?? 0;
      const willHavePassword = password === undefined ? Boolean(current?.passwordHash) : password !== null;
      if (usesPassword(profile) && !willHavePassword)
        return reply
          .code(400)
          .send(badRequest(`security profile ${profile} needs a password: set "authorizationKey" (or "password") too`));
      if (profile === 3 && context.cpoName === undefined)
        return reply
          .code(400)
          .send(
            badRequest('security profile 3 needs the backend started with --cpo-name (the O of charger certificates)'),
          );
      const passwordHash = password === undefined ? undefined : password === null ? null : await hashPassword(password);
      const created = await store.putChargePoint(id, { passwordHash, securityProfile }, new Date().toISOString());
      const ocppVersions = request.body?.ocppVersions;
      if (ocppVersions !== undefined) await store.setOcppVersions(id, ocppVersions);
      const chargePoint = (await store.getChargePoint(id))!;
      const [connectors, connected, evseConnectors] = await Promise.all([
        store.listConnectors(id),
        connections.isConnected(id),
        store.listEvseConnectors(id),
      ]);
      return reply.code(created ? 201 : 200).send(chargePointView(chargePoint, connected, connectors, evseConnectors));
    },
  );

  app.post<{ Params: IdParams; Body: { authorizationKey?: string; authorizationKeyText?: string } }>(
    '/api/charge-points/:id/rotate-password',
    {
      preValidation: emptyBodyAsObject,
      schema: {
        tags,
        summary:
          "Rotate the charger's AuthorizationKey (ChangeConfiguration), keeping the old one until it uses the new",
        description:
          'authorizationKey (hex) or authorizationKeyText: the new key, 16-20 bytes; absent: 20 random bytes, returned ' +
          'once in the answer. The new key is stored only after the charger answers Accepted; until it reconnects ' +
          'with it, both keys work, then only the new one. 409: not connected, or the charger did not accept.',
        params: chargePointIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { authorizationKey: { type: 'string' }, authorizationKeyText: { type: 'string' } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              status: { type: 'string' },
              authorizationKey: { type: 'string', description: 'The generated key, hex (only when none was given)' },
            },
          },
          404: errorSchema,
          409: errorSchema,
          502: errorSchema,
          504: errorSchema,
          ...commonErrors,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { authorizationKey, authorizationKeyText } = request.body;
      if (authorizationKey !== undefined && authorizationKeyText !== undefined)
        return reply.code(400).send(badRequest('give authorizationKey or authorizationKeyText, not both'));
      let key: Buffer;
      if (authorizationKey === undefined && authorizationKeyText === undefined) key = newAuthorizationKey();
      else {
        const checked = authorizationKeyBytes(
          authorizationKey !== undefined ? { hex: authorizationKey } : { text: authorizationKeyText! },
        );
        if (!checked.ok) return reply.code(400).send(badRequest(checked.reason));
        key = checked.key;
      }
      const chargePoint = await store.getChargePoint(id);
      if (!chargePoint) return reply.code(404).send(chargePointNotFound(id));
      // What the charger is told: the hex of the key (the whitepaper's form), or the text it was given as.
      const value = authorizationKeyText ?? key.toString('hex');
      let answer: { status?: string };
      try {
        answer = (await connections.call(
          id,
          'ChangeConfiguration',
          { key: 'AuthorizationKey', value },
          { timeoutMs: context.callTimeoutMs },
        )) as { status?: string };
      } catch (error) {
        if (error instanceof NotConnectedError)
          return reply.code(409).send({ error: 'Conflict', message: error.message });
        if (error instanceof CallTimeoutError)
          return reply.code(504).send({ error: 'Timeout', message: error.message });
        return reply.code(502).send({ error: 'BadGateway', message: (error as Error).message });
      }
      if (answer.status !== 'Accepted') {
        context.logger.warn(
          { chargePointId: id, status: answer.status },
          'password rotation: the charger did not accept',
        );
        return reply
          .code(409)
          .send({ error: 'Conflict', message: `the charger answered ${answer.status}: the key is unchanged` });
      }
      await store.setPendingPassword(id, await hashPassword(key));
      context.logger.info({ chargePointId: id }, 'password rotation accepted: the old key works until it reconnects');
      return {
        status: 'Accepted',
        ...(authorizationKey === undefined &&
          authorizationKeyText === undefined && { authorizationKey: key.toString('hex') }),
      };
    },
  );

  app.delete<{ Params: IdParams }>(
    '/api/charge-points/:id',
    {
      schema: {
        tags,
        summary: 'Remove a charge point (its transactions are kept); an open connection is closed',
        params: chargePointIdParams,
        response: { 204: { type: 'null' }, 404: errorSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!(await store.deleteChargePoint(id))) return reply.code(404).send(chargePointNotFound(id));
      // Held by another instance that cannot be reached (Redis down): the removal stands; that connection ends when
      // the charger next drops it, and it cannot reconnect (registration known) or registers afresh (open).
      await connections
        .disconnect(id, 1000, 'Charge point removed')
        .catch((error: Error) =>
          context.logger.warn(
            { chargePointId: id, err: error.message },
            'charge point removed, but its connection on another instance could not be closed',
          ),
        );
      return reply.code(204).send();
    },
  );

  app.get<{ Params: IdParams; Querystring: { limit: number } }>(
    '/api/charge-points/:id/status-history',
    {
      config: { chargePoint: 'registered' },
      schema: {
        tags,
        summary: 'StatusNotification history, newest first',
        params: chargePointIdParams,
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
        },
        response: {
          200: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                connectorId: { type: 'integer' },
                status: { type: 'string' },
                errorCode: { type: 'string' },
                info: { type: ['string', 'null'] },
                vendorErrorCode: { type: ['string', 'null'] },
                evseConnectorId: { type: ['integer', 'null'], description: 'OCPP 2.0.1: the connector of the EVSE' },
                timestamp: { type: 'string' },
                receivedAt: { type: 'string' },
              },
            },
          },
          404: errorSchema,
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const history = await store.listStatusHistory(request.params.id, request.query.limit);
      return history.map((entry) => ({
        ...connectorView(entry),
        evseConnectorId: entry.evseConnectorId,
        receivedAt: entry.receivedAt,
      }));
    },
  );

  app.get<{ Params: IdParams; Querystring: { limit: number } }>(
    '/api/charge-points/:id/messages',
    {
      config: { chargePoint: 'registered' },
      schema: {
        tags,
        summary: 'The newest OCPP frames exchanged with the charge point (the bounded message log)',
        params: chargePointIdParams,
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
        },
        response: {
          200: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                direction: { type: 'string', enum: ['in', 'out'] },
                messageType: { type: ['integer', 'null'] },
                messageId: { type: ['string', 'null'] },
                action: { type: ['string', 'null'] },
                frame: { type: 'string' },
                loggedAt: { type: 'string' },
              },
            },
          },
          404: errorSchema,
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const messages = await store.listMessages(request.params.id, request.query.limit);
      return messages.map((message) => ({
        direction: message.direction,
        messageType: message.messageType,
        messageId: message.messageId,
        action: message.action,
        frame: message.frame,
        loggedAt: message.loggedAt,
      }));
    },
  );
}

function chargePointView(
  chargePoint: ChargePoint,
  connected: boolean,
  connectors?: Connector[],
  evseConnectors: EvseConnectorStatus[] = [],
) {
  return {
    id: chargePoint.id,
    connected,
    ocppVersion: chargePoint.ocppVersion,
    ocppVersions: chargePoint.ocppVersions,
    bootReason: chargePoint.bootReason,
    hasPassword: chargePoint.passwordHash !== null,
    passwordRotationPending: chargePoint.pendingPasswordHash !== null,
    securityProfile: chargePoint.securityProfile,
    vendor: chargePoint.vendor,
    model: chargePoint.model,
    serialNumber: chargePoint.serialNumber,
    firmwareVersion: chargePoint.firmwareVersion,
    iccid: chargePoint.iccid,
    imsi: chargePoint.imsi,
    meterType: chargePoint.meterType,
    meterSerialNumber: chargePoint.meterSerialNumber,
    firmwareStatus: chargePoint.firmwareStatus,
    diagnosticsStatus: chargePoint.diagnosticsStatus,
    registeredAt: chargePoint.registeredAt,
    lastBootAt: chargePoint.lastBootAt,
    lastHeartbeat: chargePoint.lastHeartbeatAt,
    ocppValidation: chargePoint.ocppValidation,
    schemaViolations: chargePoint.schemaViolations,
    lastSchemaViolationAt: chargePoint.lastSchemaViolationAt,
    ...(connectors && {
      connectors: connectors.map((connector) => ({
        ...connectorView(connector),
        ...evseConnectorsOf(connector.connectorId, evseConnectors),
      })),
    }),
  };
}

/** The API calls the time a status was reported "timestamp", as OCPP's StatusNotification does. */
function connectorView(connector: Connector) {
  return {
    connectorId: connector.connectorId,
    status: connector.status,
    errorCode: connector.errorCode,
    info: connector.info,
    vendorErrorCode: connector.vendorErrorCode,
    timestamp: connector.statusAt,
  };
}

/** OCPP 2.0.1: a connector row is an EVSE; its connectors' own statuses go beside it. */
function evseConnectorsOf(evseId: number, evseConnectors: EvseConnectorStatus[]) {
  const own = evseConnectors.filter((connector) => connector.evseId === evseId);
  if (own.length === 0) return {};
  return {
    evseConnectors: own.map((connector) => ({
      connectorId: connector.connectorId,
      status: connector.status,
      timestamp: connector.at,
    })),
  };
}
