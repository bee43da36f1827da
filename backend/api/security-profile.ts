// Raising a charge point's security profile (backend/security/profile-migration.ts):
//   GET  /api/charge-points/{id}/security-profile   the profile in force, the migration under way, the history
//   POST /api/charge-points/{id}/security-profile   {securityProfile, reset?, waitSeconds?, chargerHasCertificate?}
// Admin only (the default for a route that changes something).

import type { FastifyInstance } from 'fastify';
import { DEFAULT_MIGRATION_WAIT_S, type RaiseRequest } from '../security/profile-migration.js';
import type { ProfileMigration } from '../store/profile-migration-store.js';
import type { ApiContext } from './context.js';
import { chargePointIdParams, commonErrors, errorSchema } from './schemas.js';
import { chargePointNotFound } from './registered-charge-point.js';

interface IdParams {
  id: string;
}

const tags = ['security'];

const migrationSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    fromProfile: { type: 'integer' },
    toProfile: { type: 'integer' },
    status: { type: 'string', enum: ['pending', 'accepted', 'confirmed', 'rejected', 'timed_out'] },
    detail: { type: ['string', 'null'] },
    requestedAt: { type: 'string' },
    deadlineAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

const stateSchema = {
  type: 'object',
  properties: {
    securityProfile: { type: 'integer', description: 'The profile required of the charger now' },
    migration: { ...migrationSchema, type: ['object', 'null'], description: 'The newest migration, if any' },
    history: { type: 'array', items: migrationSchema },
  },
} as const;

export async function securityProfileRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  const { store, profileMigrations } = context;

  app.get<{ Params: IdParams }>(
    '/api/charge-points/:id/security-profile',
    {
      schema: {
        tags,
        summary: 'The security profile in force and the migrations to a higher one',
        params: chargePointIdParams,
        response: { 200: stateSchema, 404: errorSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      // current() first: it ends a migration past its deadline, so the answer is never stale.
      const migration = await profileMigrations.current(id);
      const chargePoint = await store.getChargePoint(id);
      if (!chargePoint) return reply.code(404).send(chargePointNotFound(id));
      return {
        securityProfile: chargePoint.securityProfile,
        migration: migration ? view(migration) : null,
        history: (await store.profileMigrations.list(id, 20)).map(view),
      };
    },
  );

  app.post<{ Params: IdParams; Body: RaiseRequest }>(
    '/api/charge-points/:id/security-profile',
    {
      schema: {
        tags,
        summary: 'Raise the security profile (ChangeConfiguration SecurityProfile, then the reconnect confirms it)',
        description:
          'The OCPP 1.6 Security Whitepaper migration: the charger gets ChangeConfiguration SecurityProfile; on Accepted ' +
          `it is reset (Reset Hard, unless reset is false) and has waitSeconds (default ${DEFAULT_MIGRATION_WAIT_S}) to ` +
          'reconnect with the new profile, which then becomes the one required; until then the old profile stays in ' +
          'force. 202 with the migration when the charger accepted; 409 when it rejected, is not connected, the ' +
          'profile is not higher, or a prerequisite is missing (a password for 1 and 2; for 3 --cpo-name and a ' +
          'charger certificate signed through SignCertificate, or chargerHasCertificate: true).',
        params: chargePointIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['securityProfile'],
          properties: {
            securityProfile: { type: 'integer', minimum: 1, maximum: 3 },
            reset: { type: 'boolean', default: true },
            waitSeconds: { type: 'integer', minimum: 1, maximum: 86_400 },
            chargerHasCertificate: { type: 'boolean' },
          },
        },
        response: {
          202: migrationSchema,
          404: errorSchema,
          409: { ...errorSchema, properties: { ...errorSchema.properties, migration: migrationSchema } },
          502: errorSchema,
          504: errorSchema,
          ...commonErrors,
        },
      },
    },
    async (request, reply) => {
      const result = await profileMigrations.raise(request.params.id, request.body);
      if (result.ok) return reply.code(202).send(view(result.migration));
      const error = { 404: 'NotFound', 409: 'Conflict', 400: 'BadRequest', 502: 'BadGateway', 504: 'Timeout' }[
        result.status
      ];
      return reply.code(result.status).send({
        error,
        message: result.message,
        ...(result.migration && { migration: view(result.migration) }),
      });
    },
  );
}

function view(migration: ProfileMigration) {
  const { chargePointId: _, ...rest } = migration;
  return rest;
}
