// Kysely's queries on SQLite reuse their prepared statements: the same SQL is prepared once, the least recently
// used statement goes past the bound, and results stay right across reuse and a schema change.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { withStatementCache } from '../../../backend/store/sqlite-statement-cache.js';

/** A real in-memory database whose prepare() calls are counted. */
function countingDatabase(): { sqlite: SQLite.Database; prepared: string[] } {
  const sqlite = new SQLite(':memory:');
  const prepared: string[] = [];
  const prepare = sqlite.prepare.bind(sqlite);
  sqlite.prepare = ((text: string) => {
    prepared.push(text);
    return prepare(text);
  }) as typeof sqlite.prepare;
  return { sqlite, prepared };
}

describe('SQLite statement cache', () => {
  it('prepares each SQL text once for kysely, and answers every query right', async () => {
    const { sqlite, prepared } = countingDatabase();
    const db = new Kysely<{ notes: { id: number; body: string } }>({
      dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
    });
    await sql`create table notes (id integer primary key, body text)`.execute(db);
    for (let i = 1; i <= 20; i++)
      await db
        .insertInto('notes')
        .values({ id: i, body: `note ${i}` })
        .execute();
    for (let i = 1; i <= 20; i++) {
      const row = await db.selectFrom('notes').selectAll().where('id', '=', i).executeTakeFirstOrThrow();
      assert.equal(row.body, `note ${i}`);
    }
    const inserts = prepared.filter((text) => text.startsWith('insert')).length;
    const selects = prepared.filter((text) => text.startsWith('select')).length;
    assert.equal(inserts, 1, '20 inserts, one statement');
    assert.equal(selects, 1, '20 selects, one statement');

    // A schema change under a cached statement: SQLite re-prepares it by itself.
    await sql`alter table notes add column tag text`.execute(db);
    const all = await db.selectFrom('notes').selectAll().where('id', '=', 3).executeTakeFirstOrThrow();
    assert.deepEqual(all, { id: 3, body: 'note 3', tag: null });
    await db.destroy();
  });

  it('keeps at most its bound, dropping the least recently used', () => {
    const { sqlite, prepared } = countingDatabase();
    const cache = withStatementCache(sqlite, 2);
    cache.prepare('select 1');
    cache.prepare('select 2');
    cache.prepare('select 1'); // now the most recent
    cache.prepare('select 3'); // drops "select 2"
    cache.prepare('select 1');
    cache.prepare('select 2'); // prepared again
    assert.deepEqual(prepared, ['select 1', 'select 2', 'select 3', 'select 2']);
    cache.close();
  });
});
