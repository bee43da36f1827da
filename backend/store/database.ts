// Opens the database named by --database: `sqlite:PATH` (better-sqlite3, embedded) or a postgres:// URL (pg pool).
// Everything above this file speaks kysely and does not know which one it got.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface DatabaseOptions {
  url: string;
  /** PostgreSQL pool size. */
  poolSize: number;
}

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: Dialect;
}

export function openDatabase(options: DatabaseOptions): OpenDatabase {
  if (options.url.startsWith('sqlite:')) {
    const file = options.url.slice('sqlite:'.length);
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const sqlite = new SQLite(file, { timeout: 2000 });
    // WAL: readers (the REST API) never wait for the writer (the chargers); foreign keys are off by default.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('foreign_keys = ON');
    return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) }), dialect: 'sqlite' };
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    connectionTimeoutMillis: 5000,
    // Names the backends' sessions in pg_stat_activity (several instances: pool size × instances connections).
    application_name: 'ocpp-edge-backend',
  });
  // An idle client losing its server (restart, failover) must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  // Nor a client losing it while checked out: pg-pool drops its own error listener during a checkout, and kysely
  // adds none, so the socket dying between two queries of a transaction would be an uncaught 'error' event. The
  // query in flight fails with its own error (the charger gets InternalError) and the pool discards the client.
  pool.on('connect', (client) => client.on('error', () => {}));
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres' };
}
