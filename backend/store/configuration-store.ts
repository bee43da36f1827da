// Storage of the configuration inventory: the keys each charger last reported (GetConfiguration), when, what it
// did not know, and every change observed, so the API can show a charger's configuration and its diff over time.

import type { Kysely } from 'kysely';
import { chunked } from '../../common/chunked.js';
import type { Store } from './store.js';

interface ConfigurationTable {
  charge_point_id: string;
  key: string;
  value: string | null;
  readonly: number;
  reported_at: string;
}

interface RefreshTable {
  charge_point_id: string;
  refreshed_at: string | null;
  unknown_keys: string;
  last_error: string | null;
  last_error_at: string | null;
}

interface HistoryTable {
  id: number;
  charge_point_id: string;
  key: string;
  change: string;
  old_value: string | null;
  new_value: string | null;
  readonly: number;
  observed_at: string;
  source: string;
}

interface ConfigurationTables {
  charge_point_configuration: ConfigurationTable;
  configuration_refreshes: RefreshTable;
  configuration_history: HistoryTable;
}

export interface ConfigurationKey {
  key: string;
  /** Absent when the charger reported the key without a value. */
  value: string | null;
  readonly: boolean;
}

export interface StoredConfigurationKey extends ConfigurationKey {
  reportedAt: string;
}

export interface ConfigurationSnapshot {
  chargePointId: string;
  keys: StoredConfigurationKey[];
  /** Keys asked for that the charger does not know. */
  unknownKeys: string[];
  refreshedAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
}

export type ConfigurationChangeKind = 'added' | 'changed' | 'removed';
export type ConfigurationSource =
  | 'GetConfiguration'
  | 'ChangeConfiguration'
  // OCPP 2.0.1 (the device model as keys, backend/ocpp/v201/device-model-keys.ts).
  | 'NotifyReport'
  | 'GetVariables';

export interface ConfigurationChange {
  id: number;
  chargePointId: string;
  key: string;
  change: ConfigurationChangeKind;
  oldValue: string | null;
  newValue: string | null;
  readonly: boolean;
  observedAt: string;
  source: ConfigurationSource;
}

export interface ConfigurationReport {
  keys: readonly ConfigurationKey[];
  unknownKeys: readonly string[];
  /** The charger was asked for every key (no key list): keys it no longer reports are removed. */
  complete: boolean;
  source: ConfigurationSource;
}

/**
 * Rows per multi-row statement: 9 columns at most, well under SQLite's 32,766 and PostgreSQL's 65,535 bound
 * parameters, for a charger reporting thousands of keys (a 2.0.1 device model).
 */
const ROWS_PER_STATEMENT = 500;

export class ConfigurationStore {
  private readonly db: Kysely<ConfigurationTables>;

  constructor(store: Store) {
    this.db = store.db as unknown as Kysely<ConfigurationTables>;
  }

  /** Applies what the charger reported, recording each difference from what was stored; returns the differences. */
  async applyReport(chargePointId: string, report: ConfigurationReport, now: string): Promise<ConfigurationChange[]> {
    return this.db.transaction().execute(async (trx) => {
      const stored = new Map(
        (
          await trx
            .selectFrom('charge_point_configuration')
            .selectAll()
            .where('charge_point_id', '=', chargePointId)
            .execute()
        ).map((row) => [row.key, row]),
      );
      // A key reported twice (seen from real chargers) counts once, its last entry winning; one upsert of many
      // rows may not touch the same row twice on PostgreSQL.
      const latest = new Map<string, ConfigurationKey>();
      for (const key of report.keys) {
        latest.delete(key.key);
        latest.set(key.key, key);
      }
      const changes: Omit<HistoryTable, 'id'>[] = [];
      const rows: ConfigurationTable[] = [];
      for (const key of latest.values()) {
        const before = stored.get(key.key);
        const value = key.value ?? null;
        const readonly = key.readonly ? 1 : 0;
        if (!before || before.value !== value || before.readonly !== readonly)
          changes.push({
            charge_point_id: chargePointId,
            key: key.key,
            change: before ? 'changed' : 'added',
            old_value: before?.value ?? null,
            new_value: value,
            readonly,
            observed_at: now,
            source: report.source,
          });
        rows.push({ charge_point_id: chargePointId, key: key.key, value, readonly, reported_at: now });
      }
      // One statement per chunk, not one per key: a refresh stored 26 keys in 26 round trips.
      for (const chunk of chunked(rows, ROWS_PER_STATEMENT))
        await trx
          .insertInto('charge_point_configuration')
          .values(chunk)
          .onConflict((oc) =>
            oc.columns(['charge_point_id', 'key']).doUpdateSet((eb) => ({
              value: eb.ref('excluded.value'),
              readonly: eb.ref('excluded.readonly'),
              reported_at: eb.ref('excluded.reported_at'),
            })),
          )
          .execute();
      // Gone: not in a complete report, or named as unknown in a partial one.
      const unknown = new Set(report.unknownKeys);
      const gone = [...stored.values()].filter((row) =>
        report.complete ? !latest.has(row.key) : unknown.has(row.key) && !latest.has(row.key),
      );
      for (const row of gone)
        changes.push({
          charge_point_id: chargePointId,
          key: row.key,
          change: 'removed',
          old_value: row.value,
          new_value: null,
          readonly: row.readonly,
          observed_at: now,
          source: report.source,
        });
      for (const chunk of chunked(gone, ROWS_PER_STATEMENT))
        await trx
          .deleteFrom('charge_point_configuration')
          .where('charge_point_id', '=', chargePointId)
          .where(
            'key',
            'in',
            chunk.map((row) => row.key),
          )
          .execute();
      const inserted: HistoryTable[] = [];
      for (const chunk of chunked(changes, ROWS_PER_STATEMENT))
        inserted.push(
          ...(await trx
            .insertInto('configuration_history')
            .values(chunk as never)
            .returningAll()
            .execute()),
        );
      // What the charger reported itself (not what was accepted from us): the inventory has been read.
      if (report.source === 'GetConfiguration' || report.source === 'GetVariables' || report.complete) {
        const refresh = {
          refreshed_at: now,
          unknown_keys: JSON.stringify(report.unknownKeys),
          last_error: null,
          last_error_at: null,
        };
        await trx
          .insertInto('configuration_refreshes')
          .values({ charge_point_id: chargePointId, ...refresh })
          .onConflict((oc) => oc.column('charge_point_id').doUpdateSet(refresh))
          .execute();
      }
      return inserted.map(toChange);
    });
  }

  /** A refresh that failed (charger offline, CALLERROR, timeout): kept so the API can show it. */
  async recordRefreshError(chargePointId: string, error: string, now: string): Promise<void> {
    await this.db
      .insertInto('configuration_refreshes')
      .values({
        charge_point_id: chargePointId,
        refreshed_at: null,
        unknown_keys: '[]',
        last_error: error,
        last_error_at: now,
      })
      .onConflict((oc) => oc.column('charge_point_id').doUpdateSet({ last_error: error, last_error_at: now }))
      .execute();
  }

  async snapshot(chargePointId: string): Promise<ConfigurationSnapshot> {
    // The refresh row first, then the keys: they are written in one transaction, so keys read after a refresh
    // time are at least that refresh's (read side by side, PostgreSQL could show the time without its keys).
    const refresh = await this.db
      .selectFrom('configuration_refreshes')
      .selectAll()
      .where('charge_point_id', '=', chargePointId)
      .executeTakeFirst();
    const rows = await this.db
      .selectFrom('charge_point_configuration')
      .selectAll()
      .where('charge_point_id', '=', chargePointId)
      .orderBy('key')
      .execute();
    return {
      chargePointId,
      keys: rows.map((row) => ({
        key: row.key,
        value: row.value,
        readonly: Boolean(row.readonly),
        reportedAt: row.reported_at,
      })),
      unknownKeys: refresh ? (JSON.parse(refresh.unknown_keys) as string[]) : [],
      refreshedAt: refresh?.refreshed_at ?? null,
      lastError: refresh?.last_error ?? null,
      lastErrorAt: refresh?.last_error_at ?? null,
    };
  }

  /** The value of one key as last reported, undefined when unknown. */
  async value(chargePointId: string, key: string): Promise<string | null | undefined> {
    const row = await this.db
      .selectFrom('charge_point_configuration')
      .select('value')
      .where('charge_point_id', '=', chargePointId)
      .where('key', '=', key)
      .executeTakeFirst();
    return row ? row.value : undefined;
  }

  async history(
    chargePointId: string,
    filter: { key?: string; since?: string; until?: string; limit: number },
  ): Promise<ConfigurationChange[]> {
    let query = this.db.selectFrom('configuration_history').selectAll().where('charge_point_id', '=', chargePointId);
    if (filter.key) query = query.where('key', '=', filter.key);
    if (filter.since) query = query.where('observed_at', '>=', filter.since);
    if (filter.until) query = query.where('observed_at', '<=', filter.until);
    const rows = await query.orderBy('id').limit(filter.limit).execute();
    return rows.map(toChange);
  }
}

function toChange(row: HistoryTable): ConfigurationChange {
  return {
    id: Number(row.id),
    chargePointId: row.charge_point_id,
    key: row.key,
    change: row.change as ConfigurationChangeKind,
    oldValue: row.old_value,
    newValue: row.new_value,
    readonly: Boolean(row.readonly),
    observedAt: row.observed_at,
    source: row.source as ConfigurationSource,
  };
}
