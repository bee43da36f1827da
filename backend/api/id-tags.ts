// /api/id-tags/{idTag}: the local id-tag list that answers Authorize and StartTransaction.

import type { FastifyInstance } from 'fastify';
import { toUtc } from '../ocpp/timestamps.js';
import type { IdTag } from '../store/store.js';
import { emptyBodyAsObject, notFound, type ApiContext } from './context.js';
import { commonErrors, errorSchema, ID_TAG_STATUSES, idTagParams, idTagSchema } from './schemas.js';

interface IdTagBody {
  status: (typeof ID_TAG_STATUSES)[number];
  expiryDate?: string | null;
  parentIdTag?: string | null;
}

export async function idTagRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  const { store } = context;
  const tags = ['id tags'];

  app.get<{ Params: { idTag: string } }>(
    '/api/id-tags/:idTag',
    {
      schema: {
        tags,
        summary: 'One id tag',
        params: idTagParams,
        response: { 200: idTagSchema, 404: errorSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const tag = await store.getIdTag(request.params.idTag);
      if (!tag) return reply.code(404).send(notFound(`id tag ${request.params.idTag} is not in the list`));
      return idTagView(tag);
    },
  );

  app.put<{ Params: { idTag: string }; Body: IdTagBody }>(
    '/api/id-tags/:idTag',
    {
      preValidation: emptyBodyAsObject,
      schema: {
        tags,
        summary: 'Add or replace an id tag (201 when added)',
        params: idTagParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: ID_TAG_STATUSES, default: 'Accepted' },
            expiryDate: { type: ['string', 'null'], format: 'date-time' },
            parentIdTag: { type: ['string', 'null'], minLength: 1, maxLength: 36 },
          },
        },
        response: { 200: idTagSchema, 201: idTagSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const body = request.body ?? { status: 'Accepted' };
      const tag: IdTag = {
        idTag: request.params.idTag,
        status: body.status ?? 'Accepted',
        // Stored as UTC like every timestamp, so expiry compares as text.
        expiryDate: body.expiryDate ? (toUtc(body.expiryDate) ?? null) : null,
        parentIdTag: body.parentIdTag ?? null,
      };
      const created = await store.putIdTag(tag);
      context.features.localLists.tagsChanged();
      return reply.code(created ? 201 : 200).send(idTagView(tag));
    },
  );

  app.delete<{ Params: { idTag: string } }>(
    '/api/id-tags/:idTag',
    {
      schema: {
        tags,
        summary: 'Remove an id tag',
        params: idTagParams,
        response: { 204: { type: 'null' }, 404: errorSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      if (!(await store.deleteIdTag(request.params.idTag)))
        return reply.code(404).send(notFound(`id tag ${request.params.idTag} is not in the list`));
      context.features.localLists.tagsChanged();
      return reply.code(204).send();
    },
  );
}

function idTagView(tag: IdTag) {
  return { idTag: tag.idTag, status: tag.status, expiryDate: tag.expiryDate, parentIdTag: tag.parentIdTag };
}
