// /api/charge-points: the registered charge points, their connectors and status history; register, set the
// HTTP Basic password, remove.

import type { FastifyInstance } from 'fastify';
import { hashPassword } from '../ocpp/passwords.js';
import type { ChargePointRow, ConnectorRow } from '../store/store.js';
import { emptyBodyAsObject, notFound, type ApiContext } from './context.js';
import { chargePointIdParams, chargePointSchema, commonErrors, errorSchema } from './schemas.js';

interface IdParams {
  id: string;
}

export async function chargePointRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  const { store, connections } = context;
  const tags = ['charge points'];

  app.get(
    '/api/charge-points',
    {
      schema: {
        tags,
        summary: 'List charge points',
        response: { 200: { type: 'array', items: chargePointSchema }, ...commonErrors },
      },
    },
    async () => {
      const [rows, connected] = await Promise.all([store.listChargePoints(), connections.connectedIds()]);
      const online = new Set(connected);
      return rows.map((row) => chargePointView(row, online.has(row.id)));
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
      const row = await store.getChargePoint(request.params.id);
      if (!row) return reply.code(404).send(notFound(`charge point ${request.params.id} is not registered`));
      const [connectors, connected] = await Promise.all([
        store.listConnectors(row.id),
        connections.isConnected(row.id),
      ]);
      return chargePointView(row, connected, connectors);
    },
  );

  app.put<{ Params: IdParams; Body: { password?: string | null } }>(
    '/api/charge-points/:id',
    {
      preValidation: emptyBodyAsObject,
      schema: {
        tags,
        summary: 'Register a charge point, or set or remove its HTTP Basic password',
        description:
          'password: set it (stored as a salted scrypt hash); null: remove it; absent: keep it. 201 when created.',
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
          },
        },
        response: { 200: chargePointSchema, 201: chargePointSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const password = request.body?.password;
      const passwordHash = password === undefined ? undefined : password === null ? null : await hashPassword(password);
      const created = await store.putChargePoint(id, passwordHash, new Date().toISOString());
      const row = (await store.getChargePoint(id))!;
      const [connectors, connected] = await Promise.all([store.listConnectors(id), connections.isConnected(id)]);
      return reply.code(created ? 201 : 200).send(chargePointView(row, connected, connectors));
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
      if (!(await store.deleteChargePoint(id)))
        return reply.code(404).send(notFound(`charge point ${id} is not registered`));
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
    async (request, reply) => {
      if (!(await store.getChargePoint(request.params.id)))
        return reply.code(404).send(notFound(`charge point ${request.params.id} is not registered`));
      const rows = await store.listStatusHistory(request.params.id, request.query.limit);
      return rows.map((row) => ({
        connectorId: row.connector_id,
        status: row.status,
        errorCode: row.error_code,
        info: row.info,
        vendorErrorCode: row.vendor_error_code,
        timestamp: row.status_at,
        receivedAt: row.received_at,
      }));
    },
  );

  app.get<{ Params: IdParams; Querystring: { limit: number } }>(
    '/api/charge-points/:id/messages',
    {
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
    async (request, reply) => {
      if (!(await store.getChargePoint(request.params.id)))
        return reply.code(404).send(notFound(`charge point ${request.params.id} is not registered`));
      const rows = await store.listMessages(request.params.id, request.query.limit);
      return rows.map((row) => ({
        direction: row.direction,
        messageType: row.message_type,
        messageId: row.message_id,
        action: row.action,
        frame: row.frame,
        loggedAt: row.logged_at,
      }));
    },
  );
}

function chargePointView(row: ChargePointRow, connected: boolean, connectors?: ConnectorRow[]) {
  return {
    id: row.id,
    connected,
    hasPassword: row.password_hash !== null,
    vendor: row.vendor,
    model: row.model,
    serialNumber: row.serial_number,
    firmwareVersion: row.firmware_version,
    iccid: row.iccid,
    imsi: row.imsi,
    meterType: row.meter_type,
    meterSerialNumber: row.meter_serial_number,
    firmwareStatus: row.firmware_status,
    diagnosticsStatus: row.diagnostics_status,
    registeredAt: row.registered_at,
    lastBootAt: row.last_boot_at,
    lastHeartbeat: row.last_heartbeat_at,
    ocppValidation: row.ocpp_validation,
    schemaViolations: Number(row.schema_violations),
    lastSchemaViolationAt: row.last_schema_violation_at,
    ...(connectors && {
      connectors: connectors.map((connector) => ({
        connectorId: connector.connector_id,
        status: connector.status,
        errorCode: connector.error_code,
        info: connector.info,
        vendorErrorCode: connector.vendor_error_code,
        timestamp: connector.status_at,
      })),
    }),
  };
}
