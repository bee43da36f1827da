// Migration 0200-ocpp201 on a SQLite database that already holds 1.6 data: the transactions table is rebuilt (SQLite
// cannot drop NOT NULL in place) and must come out with every row, every meter value still linked to its
// transaction, and no transaction id ever given out again.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type Migration } from 'kysely';
import { migrations } from '../../../backend/store/migrations.js';
import { Store } from '../../../backend/store/store.js';

describe('migration 0200-ocpp201 on SQLite', () => {
  it('keeps 1.6 transactions, their meter values and the id sequence', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ocpp-edge-0200-'));
    const file = path.join(dir, 'ocpp.db');
    try {
      const sqlite = new Database(file);
      sqlite.pragma('foreign_keys = ON');
      const db = new Kysely<any>({ dialect: new SqliteDialect({ database: sqlite }) });
      const before: Record<string, Migration> = {};
      for (const [name, migration] of Object.entries(migrations('sqlite'))) if (name < '0200') before[name] = migration;
      const { error } = await new Migrator({ db, provider: { getMigrations: async () => before } }).migrateToLatest();
      assert.equal(error, undefined);
      await db
        .insertInto('charge_points')
        .values({ id: 'CP-OLD', registered_at: '2025-01-01T00:00:00.000Z' })
        .execute();
      for (const id of [1, 2, 3])
        await db
          .insertInto('transactions')
          .values({
            id,
            charge_point_id: 'CP-OLD',
            connector_id: 1,
            id_tag: 'T',
            meter_start: 100 * id,
            start_time: '2025-01-01T00:00:00.000Z',
          })
          .execute();
      await db.deleteFrom('transactions').where('id', '=', 3).execute();
      await db
        .insertInto('meter_values')
        .values({
          charge_point_id: 'CP-OLD',
          connector_id: 1,
          transaction_id: 2,
          sampled_at: '2025-01-01T00:01:00.000Z',
          value: '250',
        })
        .execute();
      await db.destroy();

      const { store, applied } = await Store.open({ url: `sqlite:${file}`, poolSize: 1 });
      try {
        assert.ok(applied.includes('0200-ocpp201'));
        const transactions = await store.listTransactions({ limit: 10 });
        assert.deepEqual(
          transactions.map((tx) => [tx.id, tx.meterStart, tx.ocppVersion]),
          [
            [2, 200, '1.6'],
            [1, 100, '1.6'],
          ],
        );
        assert.equal((await store.listMeterValues(2))[0]?.value, '250', 'the meter value is still linked');
        const next = await store.startTransaction({
          chargePointId: 'CP-OLD',
          connectorId: 1,
          idTag: 'T',
          meterStart: 0,
          startTime: '2025-01-02T00:00:00.000Z',
        });
        assert.equal(next.id, 4, 'id 3 was given out once and is never given again');
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
