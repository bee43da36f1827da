// Storage of local authorization lists: per charger the version it holds, the entries we know it holds (so a
// differential SendLocalList is the difference between those and the id-tag table), and its sync state; plus the
// bulk operations on the id-tag table (import, export, groups by parentIdTag).

import { sql, type Kysely } from 'kysely';
import { containsPattern } from './like-pattern.js';
import type { IdTag, Store } from './store.js';

interface SyncTable {
  charge_point_id: string;
  list_version: number;
  charger_version: number | null;
  complete: number;
  status: string;
  last_sync_at: string | null;
  last_attempt_at: string | null;
  last_error: string | null;
  failures: number;
  next_attempt_at: string | null;
}

interface EntryTable {
  charge_point_id: string;
  id_tag: string;
  status: string;
  expiry_date: string | null;
  parent_id_tag: string | null;
}

interface IdTagTable {
  id_tag: string;
  status: string;
  expiry_date: string | null;
  parent_id_tag: string | null;
}

interface LocalListTables {
  local_list_sync: SyncTable;
  local_list_entries: EntryTable;
  id_tags: IdTagTable;
}

export type LocalListStatus = 'synced' | 'pending' | 'failed' | 'unsupported' | 'disabled';

export interface LocalListSync {
  chargePointId: string;
  listVersion: number;
  chargerVersion: number | null;
  complete: boolean;
  status: LocalListStatus;
  lastSyncAt: string | null;
  lastAttemptAt: string | null;
  lastError: string | null;
  failures: number;
  nextAttemptAt: string | null;
}

export type SyncChanges = Partial<Omit<LocalListSync, 'chargePointId'>>;

export class LocalListStore {
  private readonly db: Kysely<LocalListTables>;

  constructor(store: Store) {
    this.db = store.db as unknown as Kysely<LocalListTables>;
  }

  async sync(chargePointId: string): Promise<LocalListSync> {
    return (await this.storedSync(chargePointId)) ?? neverSynced(chargePointId);
  }

  /** The sync state on record, undefined for a charger never synced (nor tried). */
  async storedSync(chargePointId: string): Promise<LocalListSync | undefined> {
    const row = await this.db
      .selectFrom('local_list_sync')
      .selectAll()
      .where('charge_point_id', '=', chargePointId)
      .executeTakeFirst();
    return row ? toSync(row) : undefined;
  }

  /** Whether the list has any tag: one row looked at, where a count would read the whole table at every boot. */
  async hasTags(): Promise<boolean> {
    const row = await this.db.selectFrom('id_tags').select('id_tag').limit(1).executeTakeFirst();
    return row !== undefined;
  }

  /** Tags changed: every charger that was synced is behind until its next sync. */
  async markAllPending(): Promise<void> {
    await this.db.updateTable('local_list_sync').set({ status: 'pending' }).where('status', '=', 'synced').execute();
  }

  async listSyncs(): Promise<LocalListSync[]> {
    const rows = await this.db.selectFrom('local_list_sync').selectAll().orderBy('charge_point_id').execute();
    return rows.map(toSync);
  }

  /** Chargers whose sync failed and is due again. */
  async dueRetries(now: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('local_list_sync')
      .select('charge_point_id')
      .where('status', 'in', ['failed', 'pending'])
      .where('next_attempt_at', '<=', now)
      .execute();
    return rows.map((row) => row.charge_point_id);
  }

  async updateSync(chargePointId: string, changes: SyncChanges): Promise<void> {
    const current = await this.sync(chargePointId);
    const next = { ...current, ...changes };
    const row: SyncTable = {
      charge_point_id: chargePointId,
      list_version: next.listVersion,
      charger_version: next.chargerVersion,
      complete: next.complete ? 1 : 0,
      status: next.status,
      last_sync_at: next.lastSyncAt,
      last_attempt_at: next.lastAttemptAt,
      last_error: next.lastError,
      failures: next.failures,
      next_attempt_at: next.nextAttemptAt,
    };
    const { charge_point_id: _id, ...update } = row;
    await this.db
      .insertInto('local_list_sync')
      .values(row)
      .onConflict((oc) => oc.column('charge_point_id').doUpdateSet(update))
      .execute();
  }

  /** The entries we know the charger holds. */
  async entries(chargePointId: string): Promise<IdTag[]> {
    const rows = await this.db
      .selectFrom('local_list_entries')
      .selectAll()
      .where('charge_point_id', '=', chargePointId)
      .orderBy('id_tag')
      .execute();
    return rows.map(toIdTag);
  }

  /**
   * Records a chunk the charger accepted: its entries (a tag without info is a removal), the new version, and for
   * the first chunk of a Full update the removal of everything else.
   */
  async applyChunk(
    chargePointId: string,
    chunk: { listVersion: number; replaceAll: boolean; updates: IdTag[]; removals: string[] },
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (chunk.replaceAll)
        await trx.deleteFrom('local_list_entries').where('charge_point_id', '=', chargePointId).execute();
      if (chunk.removals.length > 0)
        await trx
          .deleteFrom('local_list_entries')
          .where('charge_point_id', '=', chargePointId)
          .where('id_tag', 'in', chunk.removals)
          .execute();
      for (const tag of chunk.updates) {
        const values = { status: tag.status, expiry_date: tag.expiryDate, parent_id_tag: tag.parentIdTag };
        await trx
          .insertInto('local_list_entries')
          .values({ charge_point_id: chargePointId, id_tag: tag.idTag, ...values })
          .onConflict((oc) => oc.columns(['charge_point_id', 'id_tag']).doUpdateSet(values))
          .execute();
      }
      await trx
        .updateTable('local_list_sync')
        .set({ list_version: chunk.listVersion })
        .where('charge_point_id', '=', chargePointId)
        .execute();
    });
  }

  // ---- the id-tag table in bulk ----

  /** In id-tag order: all, or a page (after `after`, at most `limit`, `search` a substring in any case). */
  async listTags(
    filter: { parentIdTag?: string; after?: string; limit?: number; search?: string } = {},
  ): Promise<IdTag[]> {
    let query = this.db.selectFrom('id_tags').selectAll();
    if (filter.parentIdTag !== undefined) query = query.where('parent_id_tag', '=', filter.parentIdTag);
    if (filter.after !== undefined) query = query.where('id_tag', '>', filter.after);
    if (filter.search) {
      // LIKE's wildcards in the search are taken literally.
      const pattern = containsPattern(filter.search);
      query = query.where(sql<boolean>`lower(id_tag) like ${pattern} escape '\\'`);
    }
    if (filter.limit !== undefined) query = query.limit(filter.limit);
    return (await query.orderBy('id_tag').execute()).map(toIdTag);
  }

  /** Adds or replaces the given tags; with replace, removes every tag not given. One transaction. */
  async importTags(
    tags: readonly IdTag[],
    replace: boolean,
  ): Promise<{ created: number; updated: number; removed: number }> {
    return this.db.transaction().execute(async (trx) => {
      const existing = new Set((await trx.selectFrom('id_tags').select('id_tag').execute()).map((row) => row.id_tag));
      let created = 0;
      let updated = 0;
      for (const tag of tags) {
        const values = { status: tag.status, expiry_date: tag.expiryDate, parent_id_tag: tag.parentIdTag };
        if (existing.has(tag.idTag)) {
          updated++;
          await trx.updateTable('id_tags').set(values).where('id_tag', '=', tag.idTag).execute();
        } else {
          created++;
          await trx
            .insertInto('id_tags')
            .values({ id_tag: tag.idTag, ...values })
            .execute();
          existing.add(tag.idTag);
        }
      }
      let removed = 0;
      if (replace) {
        const keep = new Set(tags.map((tag) => tag.idTag));
        const gone = [...existing].filter((idTag) => !keep.has(idTag));
        for (let start = 0; start < gone.length; start += 500) {
          const result = await trx
            .deleteFrom('id_tags')
            .where('id_tag', 'in', gone.slice(start, start + 500))
            .executeTakeFirst();
          removed += Number(result.numDeletedRows);
        }
      }
      return { created, updated, removed };
    });
  }
}

function toSync(row: SyncTable): LocalListSync {
  return {
    chargePointId: row.charge_point_id,
    listVersion: Number(row.list_version),
    chargerVersion: row.charger_version === null ? null : Number(row.charger_version),
    complete: Boolean(row.complete),
    status: row.status as LocalListStatus,
    lastSyncAt: row.last_sync_at,
    lastAttemptAt: row.last_attempt_at,
    lastError: row.last_error,
    failures: Number(row.failures),
    nextAttemptAt: row.next_attempt_at,
  };
}

export function neverSynced(chargePointId: string): LocalListSync {
  return {
    chargePointId,
    listVersion: 0,
    chargerVersion: null,
    complete: false,
    status: 'pending',
    lastSyncAt: null,
    lastAttemptAt: null,
    lastError: null,
    failures: 0,
    nextAttemptAt: null,
  };
}

function toIdTag(row: IdTagTable | EntryTable): IdTag {
  return { idTag: row.id_tag, status: row.status, expiryDate: row.expiry_date, parentIdTag: row.parent_id_tag };
}
