// better-sqlite3 behind kysely with each statement prepared once. Kysely's SQLite driver prepares every query anew
// (sqlite3_prepare: parse and plan), which was 12 % of the backend's CPU in a boot storm, more than executing the
// queries; its queries are parameterized, so the distinct SQL texts are few (a few hundred: one per query shape,
// and per length of an IN list or a multi-row insert). Least recently used ones go past the bound. A statement is
// used by one query at a time: better-sqlite3 runs synchronously and kysely holds its one connection for a whole
// stream, so no cached statement is ever busy when it is handed out again. SQLite re-prepares a statement by
// itself after a schema change (migrations).

import type SQLite from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

const MAX_STATEMENTS = 1000;

export function withStatementCache(sqlite: SQLite.Database, maxStatements = MAX_STATEMENTS): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string): SQLite.Statement {
      let statement = statements.get(sql);
      if (statement) {
        statements.delete(sql); // to the end: the most recently used
      } else {
        statement = sqlite.prepare(sql);
        if (statements.size >= maxStatements) statements.delete(statements.keys().next().value as string);
      }
      statements.set(sql, statement);
      return statement;
    },
  };
}
