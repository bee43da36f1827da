// Local authorization lists and the id-tag table in bulk:
//   GET  /api/local-lists                          every charger's sync state
//   GET  /api/charge-points/{id}/local-list        one charger's: version held, last sync, failures, entries
//   POST /api/charge-points/{id}/local-list/sync   sync now ({"full": true}: send the whole list)
//   GET  /api/id-tags                              export (JSON, or CSV with ?format=csv or Accept: text/csv)
//   POST /api/id-tags/import                       import JSON or CSV (?replace=true removes tags not imported)
//   GET  /api/id-tag-groups                        tag groups (parentIdTag) and their members

import type { FastifyInstance } from 'fastify';
import { cursorParameter, decodeCursor, linkNextPage } from './paging.js';
import { toUtc } from '../ocpp/timestamps.js';
import type { IdTag } from '../store/store.js';
import type { ApiContext } from './context.js';
import { parseCsv, toCsv } from './csv.js';
import { chargePointIdParams, commonErrors, errorSchema, ID_TAG_STATUSES, idTagSchema } from './schemas.js';

const CSV_HEADER = ['idTag', 'status', 'expiryDate', 'parentIdTag'];

const syncSchema = {
  type: 'object',
  properties: {
    chargePointId: { type: 'string' },
    status: {
      type: 'string',
      enum: ['synced', 'pending', 'failed', 'unsupported', 'disabled'],
      description:
        'synced; pending (not yet, or offline: synced when it connects); failed (retried at nextAttemptAt); unsupported; disabled (LocalAuthListEnabled false)',
    },
    listVersion: { type: 'integer', description: 'Version of the last list the charger accepted from us' },
    chargerVersion: { type: ['integer', 'null'], description: 'What GetLocalListVersion last answered' },
    complete: { type: 'boolean', description: 'A full list has been delivered at least once' },
    lastSyncAt: { type: ['string', 'null'] },
    lastAttemptAt: { type: ['string', 'null'] },
    lastError: { type: ['string', 'null'] },
    failures: { type: 'integer', description: 'Failed attempts in a row' },
    nextAttemptAt: { type: ['string', 'null'] },
    entries: { type: 'integer', description: 'Entries the charger holds, by our records' },
  },
} as const;

export async function localListRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  const { localListStore, localLists } = context.features;

  app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: 16 * 1024 * 1024 }, (_request, body, done) =>
    done(null, body),
  );

  const view = async (chargePointId: string) => {
    const [sync, entries] = await Promise.all([
      localListStore.sync(chargePointId),
      localListStore.entries(chargePointId),
    ]);
    return { ...sync, entries: entries.length };
  };

  app.get(
    '/api/local-lists',
    {
      schema: {
        tags: ['local lists'],
        summary: "Every charger's local list state",
        response: { 200: { type: 'array', items: syncSchema }, ...commonErrors },
      },
    },
    async () => Promise.all((await localListStore.listSyncs()).map((sync) => view(sync.chargePointId))),
  );

  app.get<{ Params: { id: string } }>(
    '/api/charge-points/:id/local-list',
    {
      config: { chargePoint: 'registered' },
      schema: {
        tags: ['local lists'],
        summary: "The charger's local list: version held, last sync, failures",
        params: chargePointIdParams,
        response: { 200: syncSchema, 404: errorSchema, ...commonErrors },
      },
    },
    async (request) => {
      return view(request.params.id);
    },
  );

  app.post<{ Params: { id: string }; Body: { full?: boolean } }>(
    '/api/charge-points/:id/local-list/sync',
    {
      // A command to the charger, as the other commands: operator.
      config: { role: 'operator', chargePoint: 'registered' },
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        tags: ['local lists'],
        summary: "Bring the charger's local list up to date now (GetLocalListVersion, then SendLocalList as needed)",
        params: chargePointIdParams,
        body: { type: 'object', additionalProperties: false, properties: { full: { type: 'boolean' } } },
        response: { 200: syncSchema, 404: errorSchema, ...commonErrors },
      },
    },
    async (request) => {
      await localLists.sync(request.params.id, { full: request.body.full });
      return view(request.params.id);
    },
  );

  app.get<{
    Querystring: { format?: 'json' | 'csv'; parentIdTag?: string; limit?: number; cursor?: string; q?: string };
  }>(
    '/api/id-tags',
    {
      schema: {
        tags: ['id tags'],
        summary: 'The id tags in id order: a page (limit, cursor), or all as an export (JSON, or CSV)',
        description:
          'Without limit, every tag (CSV: idTag,status,expiryDate,parentIdTag). With limit, one page; the Link ' +
          'header (rel="next") and X-Next-Cursor name the next.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            format: { type: 'string', enum: ['json', 'csv'] },
            parentIdTag: { type: 'string', description: 'Only the members of this group' },
            limit: { type: 'integer', minimum: 1, maximum: 1000 },
            cursor: cursorParameter,
            q: { type: 'string', maxLength: 100, description: 'Substring of the id tag, any case' },
          },
        },
        response: { 200: { type: 'array', items: idTagSchema }, ...commonErrors },
      },
    },
    async (request, reply) => {
      const { limit, cursor, q } = request.query;
      const position = cursor === undefined ? undefined : decodeCursor(cursor);
      if (cursor !== undefined && typeof position !== 'string')
        return reply.code(400).send({ error: 'BadRequest', message: 'cursor is not one this API gave' });
      const after = position as string | undefined;
      const tags = await localListStore.listTags({ parentIdTag: request.query.parentIdTag, after, limit, search: q });
      if (limit !== undefined) linkNextPage(request, reply, tags.length === limit, tags.at(-1)?.idTag);
      const csv =
        request.query.format === 'csv' || (!request.query.format && /text\/csv/.test(request.headers.accept ?? ''));
      if (!csv) return tags;
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="id-tags.csv"')
        .serializer((payload: string) => payload)
        .send(toCsv([CSV_HEADER, ...tags.map((tag) => [tag.idTag, tag.status, tag.expiryDate, tag.parentIdTag])]));
    },
  );

  app.post<{ Querystring: { replace?: boolean }; Body: unknown }>(
    '/api/id-tags/import',
    {
      schema: {
        tags: ['id tags'],
        summary:
          'Import id tags from JSON (an array of id tags) or CSV (text/csv, header idTag,status,expiryDate,parentIdTag)',
        description:
          'Adds or replaces the given tags in one transaction; with ?replace=true every tag not in the import is removed. Every local list is then brought up to date.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { replace: { type: 'boolean', default: false } },
        },
        response: {
          200: {
            type: 'object',
            properties: { created: { type: 'integer' }, updated: { type: 'integer' }, removed: { type: 'integer' } },
          },
          ...commonErrors,
        },
      },
    },
    async (request, reply) => {
      let tags: IdTag[];
      try {
        tags = typeof request.body === 'string' ? tagsFromCsv(request.body) : tagsFromJson(request.body);
      } catch (error) {
        return reply.code(400).send({ error: 'BadRequest', message: (error as Error).message });
      }
      const seen = new Set<string>();
      for (const tag of tags) {
        if (seen.has(tag.idTag))
          return reply.code(400).send({ error: 'BadRequest', message: `idTag ${tag.idTag} appears twice` });
        seen.add(tag.idTag);
      }
      const result = await localListStore.importTags(tags, request.query.replace ?? false);
      localLists.tagsChanged();
      return result;
    },
  );

  app.get(
    '/api/id-tag-groups',
    {
      schema: {
        tags: ['id tags'],
        summary: 'Tag groups: every parentIdTag with the tags that name it',
        response: {
          200: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                parentIdTag: { type: 'string' },
                members: { type: 'array', items: { type: 'string' } },
              },
            },
          },
          ...commonErrors,
        },
      },
    },
    async () => {
      const groups = new Map<string, string[]>();
      for (const tag of await localListStore.listTags())
        if (tag.parentIdTag) groups.set(tag.parentIdTag, [...(groups.get(tag.parentIdTag) ?? []), tag.idTag]);
      return [...groups]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([parentIdTag, members]) => ({ parentIdTag, members }));
    },
  );
}

function tagsFromJson(body: unknown): IdTag[] {
  if (!Array.isArray(body)) throw new Error('body: expected an array of id tags (or text/csv)');
  return body.map((item, index) => {
    if (typeof item !== 'object' || item === null) throw new Error(`body[${index}]: expected an object`);
    const { idTag, status, expiryDate, parentIdTag, ...rest } = item as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length > 0) throw new Error(`body[${index}]: unknown field ${extra[0]}`);
    return checkedTag(`body[${index}]`, idTag, status, expiryDate, parentIdTag);
  });
}

function tagsFromCsv(text: string): IdTag[] {
  let rows: string[][];
  try {
    rows = parseCsv(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new Error(`CSV: ${(error as Error).message}`);
  }
  if (rows.length === 0) return [];
  const header = rows[0].map((name) => name.trim());
  const column = (name: string) => header.findIndex((value) => value.toLowerCase() === name.toLowerCase());
  const columns = CSV_HEADER.map(column);
  if (columns[0] < 0)
    throw new Error(`CSV: the header must name the columns (${CSV_HEADER.join(',')}); idTag is required`);
  return rows.slice(1).map((row, index) => {
    const value = (i: number) => (columns[i] < 0 ? undefined : (row[columns[i]] ?? '').trim() || undefined);
    return checkedTag(`CSV line ${index + 2}`, value(0), value(1), value(2), value(3));
  });
}

function checkedTag(where: string, idTag: unknown, status: unknown, expiryDate: unknown, parentIdTag: unknown): IdTag {
  if (typeof idTag !== 'string' || idTag.length < 1 || idTag.length > 20)
    throw new Error(`${where}: idTag must be 1 to 20 characters`);
  const tagStatus = status ?? 'Accepted';
  if (!(ID_TAG_STATUSES as readonly unknown[]).includes(tagStatus))
    throw new Error(`${where}: status must be one of ${ID_TAG_STATUSES.join(', ')}`);
  let expiry: string | null = null;
  if (expiryDate !== undefined && expiryDate !== null && expiryDate !== '') {
    expiry = typeof expiryDate === 'string' ? (toUtc(expiryDate) ?? null) : null;
    if (!expiry) throw new Error(`${where}: expiryDate is not a date and time: ${String(expiryDate)}`);
  }
  if (parentIdTag !== undefined && parentIdTag !== null && (typeof parentIdTag !== 'string' || parentIdTag.length > 20))
    throw new Error(`${where}: parentIdTag must be at most 20 characters`);
  return { idTag, status: tagStatus as string, expiryDate: expiry, parentIdTag: (parentIdTag as string) || null };
}
