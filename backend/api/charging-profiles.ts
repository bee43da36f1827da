// Charging profiles of one charger (Smart Charging, backend/ocpp/charging-profiles.ts):
//   GET    /api/charge-points/{id}/charging-profiles     what the charger holds by our records, with its answers
//   POST   /api/charge-points/{id}/charging-profiles     SetChargingProfile, stored with the charger's answer
//   DELETE /api/charge-points/{id}/charging-profiles     ClearChargingProfile (?id= or ?connectorId=&purpose=&stackLevel=)
//   GET    /api/charge-points/{id}/composite-schedule    GetCompositeSchedule (?connectorId=&duration=&unit=)

import type { FastifyInstance } from 'fastify';
import { CHARGING_PROFILE_PURPOSES, type ChargingProfilePurpose } from '../../common/charging-profile.js';
import { ProfileRefusedError, type SetRequest } from '../ocpp/charging-profiles.js';
import { CommandInputError } from '../ocpp/v201/commands.js';
import type { ProfileStatus } from '../store/charging-profile-store.js';
import { callErrors, callFailed } from './call-errors.js';
import type { ApiContext } from './context.js';
import { chargePointIdParams, commonErrors } from './schemas.js';

const PROFILE_STATUSES = ['Accepted', 'Rejected', 'NotSupported', 'Failed'];

const periodSchema = {
  type: 'object',
  required: ['startPeriod', 'limit'],
  additionalProperties: false,
  properties: {
    startPeriod: { type: 'integer', minimum: 0, description: 'Seconds from the start of the schedule' },
    limit: { type: 'number', minimum: 0, description: 'A per phase, or W' },
    numberPhases: { type: 'integer', minimum: 1, maximum: 3 },
  },
} as const;

/** OCPP 1.6 ChargingProfile (chargingProfileId optional when setting: the next free one is given). */
const chargingProfileSchema = {
  type: 'object',
  required: ['stackLevel', 'chargingProfilePurpose', 'chargingProfileKind', 'chargingSchedule'],
  additionalProperties: false,
  properties: {
    chargingProfileId: { type: 'integer', minimum: 1, maximum: 999_999 },
    transactionId: { type: 'integer', description: 'TxProfile only: the running transaction it limits' },
    stackLevel: { type: 'integer', minimum: 0, description: 'Higher wins among profiles of one purpose' },
    chargingProfilePurpose: { type: 'string', enum: CHARGING_PROFILE_PURPOSES },
    chargingProfileKind: { type: 'string', enum: ['Absolute', 'Recurring', 'Relative'] },
    recurrencyKind: { type: 'string', enum: ['Daily', 'Weekly'] },
    validFrom: { type: 'string', format: 'date-time' },
    validTo: { type: 'string', format: 'date-time' },
    chargingSchedule: {
      type: 'object',
      required: ['chargingRateUnit', 'chargingSchedulePeriod'],
      additionalProperties: false,
      properties: {
        duration: { type: 'integer', minimum: 0 },
        startSchedule: { type: 'string', format: 'date-time' },
        chargingRateUnit: { type: 'string', enum: ['A', 'W'] },
        chargingSchedulePeriod: { type: 'array', minItems: 1, items: periodSchema },
        minChargingRate: { type: 'number', minimum: 0 },
      },
    },
  },
} as const;

const storedProfileSchema = {
  type: 'object',
  properties: {
    chargePointId: { type: 'string' },
    connectorId: { type: 'integer', description: '0: the whole charger' },
    profile: chargingProfileSchema,
    status: {
      type: 'string',
      enum: PROFILE_STATUSES,
      description: "The charger's answer; Failed: it gave none (offline, timeout, CALLERROR)",
    },
    source: { type: 'string', description: 'api, call (POST …/call or …/set-charging-profile) or group:<id>' },
    lastError: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

export async function chargingProfileRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  const { chargingProfiles, chargingProfileStore } = context.features;
  const tags = ['smart charging'];

  app.get<{ Params: { id: string }; Querystring: { status?: ProfileStatus } }>(
    '/api/charge-points/:id/charging-profiles',
    {
      config: { chargePoint: 'registered' },
      schema: {
        tags,
        summary: 'The charging profiles of a charger, by our records, with its answers',
        params: chargePointIdParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { status: { type: 'string', enum: PROFILE_STATUSES } },
        },
        response: { 200: { type: 'array', items: storedProfileSchema }, 404: callErrors[404], ...commonErrors },
      },
    },
    async (request) => {
      return chargingProfileStore.list(request.params.id, request.query);
    },
  );

  app.post<{ Params: { id: string }; Body: { connectorId: number; chargingProfile: SetRequest['profile'] } }>(
    '/api/charge-points/:id/charging-profiles',
    {
      config: { role: 'operator', chargePoint: 'registered' },
      schema: {
        tags,
        summary: "Set a charging profile (SetChargingProfile); 201 with the charger's answer as status",
        description:
          "Checked first against the charger's configuration inventory: 409 NotSupported when SupportedFeatureProfiles lacks SmartCharging, 400 when stackLevel is above ChargeProfileMaxStackLevel, the unit not in ChargingScheduleAllowedChargingRateUnit or the periods more than ChargingScheduleMaxPeriods (nothing is sent then). Accepted replaces the charger's profile with the same id, or with the same connector, purpose and stack level. Accepted profiles are sent again after the charger reboots (TxProfiles end with their transaction).",
        params: chargePointIdParams,
        body: {
          type: 'object',
          required: ['connectorId', 'chargingProfile'],
          additionalProperties: false,
          properties: {
            connectorId: {
              type: 'integer',
              minimum: 0,
              description: '0: the whole charger (ChargePointMaxProfile, or a TxDefaultProfile for every connector)',
            },
            chargingProfile: chargingProfileSchema,
          },
          examples: [
            {
              connectorId: 0,
              chargingProfile: {
                stackLevel: 0,
                chargingProfilePurpose: 'TxDefaultProfile',
                chargingProfileKind: 'Recurring',
                recurrencyKind: 'Daily',
                chargingSchedule: {
                  startSchedule: '2026-01-01T00:00:00Z',
                  chargingRateUnit: 'A',
                  chargingSchedulePeriod: [
                    { startPeriod: 0, limit: 32 },
                    { startPeriod: 61200, limit: 10 },
                  ],
                },
              },
            },
          ],
        },
        response: { 201: storedProfileSchema, ...callErrors, ...commonErrors },
      },
    },
    async (request, reply) => {
      const chargePointId = request.params.id;
      try {
        const { stored } = await chargingProfiles.set({
          chargePointId,
          connectorId: request.body.connectorId,
          profile: request.body.chargingProfile,
        });
        return reply.code(201).send(stored);
      } catch (error) {
        if (error instanceof ProfileRefusedError)
          return reply
            .code(error.kind === 'NotSupported' ? 409 : 400)
            .send({ error: error.kind === 'NotSupported' ? 'NotSupported' : 'BadRequest', message: error.message });
        // An OCPP 2.0.1 charger: the profile has no 2.0.1 translation (e.g. a transaction it does not know).
        if (error instanceof CommandInputError)
          return reply.code(400).send({ error: 'BadRequest', message: error.message });
        return callFailed(reply, error);
      }
    },
  );

  app.delete<{
    Params: { id: string };
    Querystring: { profileId?: number; connectorId?: number; purpose?: ChargingProfilePurpose; stackLevel?: number };
  }>(
    '/api/charge-points/:id/charging-profiles',
    {
      config: { role: 'operator', chargePoint: 'registered' },
      schema: {
        tags,
        summary:
          'Clear charging profiles (ClearChargingProfile): by ?profileId=, or by connector, purpose and stack level',
        description:
          "status is the charger's answer: Accepted, or Unknown (it had none matching); removed is how many of our records went with them. No criteria: every profile.",
        params: chargePointIdParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            profileId: {
              type: 'integer',
              minimum: 1,
              description: 'The chargingProfileId (the others are then ignored)',
            },
            connectorId: { type: 'integer', minimum: 0 },
            purpose: { type: 'string', enum: CHARGING_PROFILE_PURPOSES },
            stackLevel: { type: 'integer', minimum: 0 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: { status: { type: 'string', enum: ['Accepted', 'Unknown'] }, removed: { type: 'integer' } },
          },
          ...callErrors,
          ...commonErrors,
        },
      },
    },
    async (request, reply) => {
      const chargePointId = request.params.id;
      const query = request.query;
      try {
        return await chargingProfiles.clear(chargePointId, {
          ...(query.profileId !== undefined ? { id: query.profileId } : {}),
          ...(query.connectorId !== undefined ? { connectorId: query.connectorId } : {}),
          ...(query.purpose !== undefined ? { chargingProfilePurpose: query.purpose } : {}),
          ...(query.stackLevel !== undefined ? { stackLevel: query.stackLevel } : {}),
        });
      } catch (error) {
        return callFailed(reply, error);
      }
    },
  );

  app.get<{ Params: { id: string }; Querystring: { connectorId: number; duration: number; unit?: 'A' | 'W' } }>(
    '/api/charge-points/:id/composite-schedule',
    {
      config: { chargePoint: 'registered' },
      schema: {
        tags,
        summary: 'The schedule the charger will follow (GetCompositeSchedule), as it answers it',
        description:
          'The charger combines its profiles: TxProfile over TxDefaultProfile (the highest stack level of each valid at each moment), capped by the ChargePointMaxProfile. status Rejected: it cannot say (no profiles, unknown connector).',
        params: chargePointIdParams,
        querystring: {
          type: 'object',
          required: ['connectorId', 'duration'],
          additionalProperties: false,
          properties: {
            connectorId: { type: 'integer', minimum: 0, description: '0: what the whole charger may draw' },
            duration: { type: 'integer', minimum: 1, description: 'Seconds from now' },
            unit: { type: 'string', enum: ['A', 'W'] },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              status: { type: 'string', enum: ['Accepted', 'Rejected'] },
              connectorId: { type: 'integer' },
              scheduleStart: { type: 'string' },
              chargingSchedule: chargingProfileSchema.properties.chargingSchedule,
            },
          },
          ...callErrors,
          ...commonErrors,
        },
      },
    },
    async (request, reply) => {
      const chargePointId = request.params.id;
      const { connectorId, duration, unit } = request.query;
      try {
        return await chargingProfiles.compositeSchedule(chargePointId, {
          connectorId,
          duration,
          ...(unit ? { chargingRateUnit: unit } : {}),
        });
      } catch (error) {
        return callFailed(reply, error);
      }
    },
  );
}
