// /api/reservations: reserve a connector (ReserveNow) for an id tag until an expiry, follow its lifecycle, cancel
// it (CancelReservation). See backend/ocpp/reservations.ts for the states.

import type { FastifyInstance } from 'fastify';
import { callErrors, callFailed } from './call-errors.js';
import { toUtc } from '../ocpp/timestamps.js';
import type { ReservationStatus } from '../store/reservation-store.js';
import { notFound, type ApiContext } from './context.js';
import { commonErrors, errorSchema } from './schemas.js';
import { chargePointNotFound } from './registered-charge-point.js';

const STATUSES = [
  'Requested',
  'Accepted',
  'Rejected',
  'Occupied',
  'Faulted',
  'Unavailable',
  'Used',
  'Expired',
  'Cancelled',
];

const reservationSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer', description: 'The reservationId the charger was given' },
    chargePointId: { type: 'string' },
    connectorId: { type: 'integer', description: '0: any connector of the charger' },
    idTag: { type: 'string' },
    parentIdTag: { type: ['string', 'null'] },
    expiryDate: { type: 'string', format: 'date-time' },
    status: { type: 'string', enum: STATUSES },
    transactionId: { type: ['integer', 'null'], description: 'The transaction that used it' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

export async function reservationRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  const { store } = context;
  const { reservations, reservationStore } = context.features;
  const tags = ['reservations'];

  app.post<{
    Body: { chargePointId: string; connectorId: number; idTag: string; parentIdTag?: string; expiryDate: string };
  }>(
    '/api/reservations',
    {
      // A command to the charger, as the other commands: operator.
      config: { role: 'operator' },
      schema: {
        tags,
        summary: "Reserve a connector for an id tag (ReserveNow); 201 with the charger's verdict as status",
        description:
          'status Accepted: reserved until expiryDate; Occupied, Faulted, Unavailable, Rejected: the charger refused (the reservation is kept with that status).',
        body: {
          type: 'object',
          required: ['chargePointId', 'connectorId', 'idTag', 'expiryDate'],
          additionalProperties: false,
          properties: {
            chargePointId: { type: 'string', minLength: 1, maxLength: 48 },
            connectorId: { type: 'integer', minimum: 0 },
            idTag: { type: 'string', minLength: 1, maxLength: 20 },
            parentIdTag: { type: 'string', minLength: 1, maxLength: 20 },
            expiryDate: { type: 'string', format: 'date-time' },
          },
          examples: [
            { chargePointId: 'CP-0042', connectorId: 1, idTag: '04A2B3C4D5', expiryDate: '2026-01-05T09:00:00Z' },
          ],
        },
        response: { 201: reservationSchema, ...callErrors, ...commonErrors },
      },
    },
    async (request, reply) => {
      const { chargePointId, expiryDate } = request.body;
      if (!(await store.getChargePoint(chargePointId))) return reply.code(404).send(chargePointNotFound(chargePointId));
      const expiry = toUtc(expiryDate);
      if (!expiry || expiry <= new Date().toISOString())
        return reply.code(400).send({ error: 'BadRequest', message: 'expiryDate must be in the future' });
      try {
        const reservation = await reservations.reserve({ ...request.body, expiryDate: expiry });
        return reply.code(201).send(reservation);
      } catch (error) {
        return callFailed(reply, error);
      }
    },
  );

  app.get<{ Querystring: { chargePointId?: string; status?: ReservationStatus; limit: number } }>(
    '/api/reservations',
    {
      schema: {
        tags,
        summary: 'Reservations, newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            chargePointId: { type: 'string' },
            status: { type: 'string', enum: STATUSES },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        },
        response: { 200: { type: 'array', items: reservationSchema }, ...commonErrors },
      },
    },
    async (request) => reservationStore.list(request.query),
  );

  app.get<{ Params: { id: number } }>(
    '/api/reservations/:id',
    {
      schema: {
        tags,
        summary: 'One reservation',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } },
        response: { 200: reservationSchema, 404: errorSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const reservation = await reservationStore.get(request.params.id);
      if (!reservation) return reply.code(404).send(notFound(`no reservation ${request.params.id}`));
      return reservation;
    },
  );

  app.delete<{ Params: { id: number } }>(
    '/api/reservations/:id',
    {
      config: { role: 'operator' },
      schema: {
        tags,
        summary: 'Cancel a reservation (CancelReservation); 409 when the charger refuses or it already ended',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } },
        response: { 200: reservationSchema, ...callErrors, ...commonErrors },
      },
    },
    async (request, reply) => {
      const reservation = await reservationStore.get(request.params.id);
      if (!reservation) return reply.code(404).send(notFound(`no reservation ${request.params.id}`));
      if (reservation.status !== 'Accepted' && reservation.status !== 'Requested')
        return reply
          .code(409)
          .send({ error: 'Conflict', message: `reservation ${reservation.id} is ${reservation.status}` });
      try {
        const { status, reservation: after } = await reservations.cancel(reservation);
        if (status !== 'Accepted')
          return reply
            .code(409)
            .send({ error: 'Conflict', message: `the charger answered CancelReservation ${status}` });
        return after;
      } catch (error) {
        return callFailed(reply, error);
      }
    },
  );
}
