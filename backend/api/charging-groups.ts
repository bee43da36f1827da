// Charging groups (a site, a feeder): chargers sharing one current or power limit, divided over their running
// sessions by the balancer (backend/smart-charging/).
//   GET    /api/charging-groups                               every group with its members
//   POST   /api/charging-groups                               create one
//   GET    /api/charging-groups/{groupId}                     one, with its members and what each session holds
//   PUT    /api/charging-groups/{groupId}                     change its limit, unit, phases, voltage, minimum
//   DELETE /api/charging-groups/{groupId}                     delete it (its profiles are cleared from the chargers)
//   PUT    /api/charging-groups/{groupId}/members/{id}        put a charger in it (out of any other group)
//   DELETE /api/charging-groups/{groupId}/members/{id}        take it out (the group's profiles cleared from it)

import type { FastifyInstance } from 'fastify';
import { MINIMUM_AC_CURRENT, NOMINAL_VOLTAGE } from '../../common/charging-profile.js';
import type { ChargingGroup, GroupChanges } from '../store/charging-group-store.js';
import { emptyBodyAsObject, notFound, type ApiContext } from './context.js';
import { chargePointIdParams, commonErrors, errorSchema } from './schemas.js';
import { chargePointNotFound } from './registered-charge-point.js';

const GROUP_ID = { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' } as const;

const settingsProperties = {
  name: { type: ['string', 'null'], maxLength: 200 },
  limit: { type: 'number', minimum: 0, description: 'What the whole group may draw: A per phase, or W' },
  unit: { type: 'string', enum: ['A', 'W'] },
  phases: { type: 'integer', minimum: 1, maximum: 3, description: 'Phases the sessions charge on (default 3)' },
  voltage: { type: 'number', minimum: 100, maximum: 1000, description: 'Per phase, V, for A↔W (default 230)' },
  minCurrent: {
    type: 'number',
    minimum: 0,
    description: 'A per phase each charging session gets at least (default 6, the AC minimum); below it, paused',
  },
} as const;

const groupSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    ...settingsProperties,
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    members: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          chargePointId: { type: 'string' },
          model: { type: ['string', 'null'] },
          addedAt: { type: 'string', format: 'date-time' },
        },
      },
    },
    sessions: {
      type: 'array',
      description: 'Running sessions of the members, oldest first, with the limit each holds by our records',
      items: {
        type: 'object',
        properties: {
          transactionId: { type: 'integer' },
          chargePointId: { type: 'string' },
          connectorId: { type: 'integer' },
          startedAt: { type: 'string' },
          limit: { type: ['number', 'null'], description: "The group's TxProfile it holds; null: none yet (paused)" },
        },
      },
    },
  },
} as const;

const groupParams = {
  type: 'object',
  required: ['groupId'],
  properties: { groupId: GROUP_ID },
} as const;

const memberParams = {
  type: 'object',
  required: ['groupId', 'id'],
  properties: { groupId: GROUP_ID, id: chargePointIdParams.properties.id },
} as const;

export async function chargingGroupRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  const { store } = context;
  const { chargingGroupStore: groups, groupBalancer, chargingProfileStore } = context.features;
  const tags = ['smart charging'];

  const view = async (group: ChargingGroup, withSessions: boolean) => {
    const members = await groups.members(group.id);
    if (!withSessions) return { ...group, members };
    const [sessions, held] = await Promise.all([
      groups.sessions(group.id),
      chargingProfileStore.fromSource(`group:${group.id}`),
    ]);
    const limits = new Map(
      held
        .filter((entry) => entry.profile.chargingProfilePurpose === 'TxProfile')
        .map((entry) => [entry.profile.transactionId, entry.profile.chargingSchedule.chargingSchedulePeriod[0]?.limit]),
    );
    return {
      ...group,
      members,
      sessions: sessions.map((session) => ({ ...session, limit: limits.get(session.transactionId) ?? null })),
    };
  };
  // The API's changes are acted on at once, not at the next look.
  const rebalance = (groupId: string) =>
    groupBalancer
      .rebalance(groupId)
      .catch((error: unknown) => context.logger.warn({ groupId, err: error }, 'rebalance failed'));

  app.get(
    '/api/charging-groups',
    {
      schema: {
        tags,
        summary: 'Charging groups with their members',
        response: { 200: { type: 'array', items: groupSchema }, ...commonErrors },
      },
    },
    async () => Promise.all((await groups.list()).map((group) => view(group, false))),
  );

  app.post<{ Body: { id: string } & GroupChanges }>(
    '/api/charging-groups',
    {
      config: { role: 'operator' },
      schema: {
        tags,
        summary: 'Create a charging group (a site, a feeder) with a current or power limit',
        description:
          'Its limit is divided equally over the running sessions of its members, each given at least minCurrent (oldest first; the newest wait, paused, when the limit cannot give everyone that), a session drawing less giving its unused share to the others. Pushed as TxProfiles; every member holds the group TxDefaultProfile at 0 so that a new session waits for its share.',
        body: {
          type: 'object',
          required: ['id', 'limit', 'unit'],
          additionalProperties: false,
          properties: { id: GROUP_ID, ...settingsProperties },
          examples: [{ id: 'depot-feeder-1', name: 'Depot, feeder 1', limit: 100, unit: 'A', phases: 3 }],
        },
        response: { 201: groupSchema, 409: errorSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const created = await groups.create(
        {
          id: body.id,
          name: body.name ?? null,
          limit: body.limit!,
          unit: body.unit!,
          phases: body.phases ?? 3,
          voltage: body.voltage ?? NOMINAL_VOLTAGE,
          minCurrent: body.minCurrent ?? MINIMUM_AC_CURRENT,
        },
        new Date().toISOString(),
      );
      if (!created) return reply.code(409).send({ error: 'Conflict', message: `group ${body.id} exists` });
      void rebalance(created.id);
      return reply.code(201).send(await view(created, false));
    },
  );

  app.get<{ Params: { groupId: string } }>(
    '/api/charging-groups/:groupId',
    {
      schema: {
        tags,
        summary: 'One charging group: members, running sessions and the limit each holds',
        params: groupParams,
        response: { 200: groupSchema, 404: errorSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const group = await groups.get(request.params.groupId);
      if (!group) return reply.code(404).send(notFound(`no group ${request.params.groupId}`));
      return view(group, true);
    },
  );

  app.put<{ Params: { groupId: string }; Body: GroupChanges }>(
    '/api/charging-groups/:groupId',
    {
      config: { role: 'operator' },
      preValidation: emptyBodyAsObject,
      schema: {
        tags,
        summary: "Change a group's limit or settings; divided again at once (group.limit.changed)",
        params: groupParams,
        body: { type: 'object', additionalProperties: false, properties: settingsProperties },
        response: { 200: groupSchema, 404: errorSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const updated = await groups.update(request.params.groupId, request.body, new Date().toISOString());
      if (!updated) return reply.code(404).send(notFound(`no group ${request.params.groupId}`));
      await rebalance(updated.id);
      return view(updated, true);
    },
  );

  app.delete<{ Params: { groupId: string } }>(
    '/api/charging-groups/:groupId',
    {
      config: { role: 'operator' },
      schema: {
        tags,
        summary: "Delete a group; its profiles are cleared from its members' chargers",
        params: groupParams,
        response: { 204: { type: 'null' }, 404: errorSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const members = await groups.members(request.params.groupId);
      if (!(await groups.delete(request.params.groupId)))
        return reply.code(404).send(notFound(`no group ${request.params.groupId}`));
      await Promise.all(members.map((member) => groupBalancer.detach(member.chargePointId)));
      return reply.code(204).send();
    },
  );

  app.put<{ Params: { groupId: string; id: string } }>(
    '/api/charging-groups/:groupId/members/:id',
    {
      config: { role: 'operator' },
      preValidation: emptyBodyAsObject,
      schema: {
        tags,
        summary: 'Put a charger in the group (out of the group it was in)',
        params: memberParams,
        response: { 200: groupSchema, 404: errorSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const { groupId, id } = request.params;
      const group = await groups.get(groupId);
      if (!group) return reply.code(404).send(notFound(`no group ${groupId}`));
      if (!(await store.getChargePoint(id))) return reply.code(404).send(chargePointNotFound(id));
      const before = await groups.addMember(groupId, id, new Date().toISOString());
      if (before) {
        await groupBalancer.detach(id);
        void rebalance(before);
      }
      await rebalance(groupId);
      return view(group, true);
    },
  );

  app.delete<{ Params: { groupId: string; id: string } }>(
    '/api/charging-groups/:groupId/members/:id',
    {
      config: { role: 'operator' },
      schema: {
        tags,
        summary: "Take a charger out of the group; the group's profiles are cleared from it",
        params: memberParams,
        response: { 204: { type: 'null' }, 404: errorSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const { groupId, id } = request.params;
      if (!(await groups.removeMember(groupId, id)))
        return reply.code(404).send(notFound(`${id} is not in group ${groupId}`));
      await groupBalancer.detach(id);
      await rebalance(groupId);
      return reply.code(204).send();
    },
  );
}
