// SQLite's own error reaches the caller when it rolled the transaction back itself: a full database (here
// max_page_count, the same SQLITE_FULL a full disk gives) is reported as SQLITE_FULL, not as the failed ROLLBACK
// after it, and the store works again once there is room.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { openDatabase } from '../../../backend/store/database.js';

describe('SQLite errors inside a transaction', () => {
  it('a full database fails with SQLITE_FULL, and the next transaction works once there is room', async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ocpp-edge-sqlite-full-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const { db } = openDatabase({ url: `sqlite:${path.join(dir, 'full.db')}`, poolSize: 1 });
    t.after(() => db.destroy());
    await sql`create table notes (body text)`.execute(db);
    const pages = (await sql<{ page_count: number }>`pragma page_count`.execute(db)).rows[0]!.page_count;
    await sql.raw(`pragma max_page_count = ${pages}`).execute(db);

    const insertBig = () =>
      db.transaction().execute(async (trx) => {
        await sql`insert into notes (body) values (${'x'.repeat(100_000)})`.execute(trx);
      });
    await assert.rejects(insertBig(), (error: NodeJS.ErrnoException) => {
      assert.equal(error.code, 'SQLITE_FULL');
      assert.match(error.message, /full/);
      return true;
    });
    await sql.raw(`pragma max_page_count = ${pages + 1000}`).execute(db);
    await insertBig();
    const count = await sql<{ n: number }>`select count(*) as n from notes`.execute(db);
    assert.equal(count.rows[0]!.n, 1);
  });
});
