// Opens the database named by --database: `sqlite:PATH` (better-sqlite3, embedded) or a postgres:// URL (pg pool).
// Everything above this file speaks kysely and does not know which one it got.

import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type Driver } from 'kysely';
import pg from 'pg';
import { ConfigError } from '../../common/config.js';
import type { Database } from './schema.js';
import { SqliteGroupCommit } from './sqlite-group-commit.js';
import { withStatementCache } from './sqlite-statement-cache.js';

export type Dialect = 'sqlite' | 'postgres';

export interface DatabaseOptions {
  url: string;
  /** PostgreSQL pool size. */
  poolSize: number;
  /** How long a query waits for a free PostgreSQL connection before it fails (default 30 s). */
  poolWaitMs?: number;
  /** Where PGUSER is read (tests). */
  env?: NodeJS.ProcessEnv;
}

/**
 * The user name when the URL has none, as libpq chooses it: PGUSER, else the name of the operating-system user the
 * process runs as. node-postgres falls back to $USER instead, which service managers may not set ("no PostgreSQL
 * user name specified" at start-up); the uid's name from the password database is what psql would use.
 */
export function withDefaultUser(url: string, env: NodeJS.ProcessEnv): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url; // pg reports the malformed URL itself
  }
  if (parsed.username !== '' || parsed.searchParams.has('user')) return url;
  try {
    // As a query parameter: also valid for a URL without a host (a Unix socket, postgres:///db?host=/run/...).
    parsed.searchParams.set('user', env.PGUSER || os.userInfo().username);
    return parsed.toString();
  } catch {
    throw new ConfigError(
      '--database',
      `names no user (postgres://USER@${parsed.host}${parsed.pathname}) and the process's uid ${process.getuid?.()} has no name to default to: put the user in the URL or set PGUSER`,
    );
  }
}

/**
 * The name the backend's PostgreSQL sessions carry (pg_stat_activity): `ocpp-edge-backend`, followed by the schema
 * when the URL sets a search_path (`options=-c search_path=…`), so that deployments sharing one database in schemas
 * of their own tell their sessions apart (restore refuses only while a backend of its own schema is connected).
 */
export function backendApplicationName(url: string): string {
  let options: string | null = null;
  try {
    options = new URL(url).searchParams.get('options');
  } catch {
    // pg reports a malformed URL itself
  }
  const schema = options ? /search_path=([^\s,]+)/.exec(options)?.[1] : undefined;
  return (schema ? `ocpp-edge-backend ${schema}` : 'ocpp-edge-backend').slice(0, 63);
}

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: Dialect;
  /** SQLite on a file: what makes its commits durable before they are acknowledged (sqlite-group-commit.ts). */
  groupCommit?: SqliteGroupCommit;
}

export function openDatabase(options: DatabaseOptions): OpenDatabase {
  if (options.url.startsWith('sqlite:')) {
    const file = options.url.slice('sqlite:'.length);
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const sqlite = new SQLite(file, { timeout: 2000 });
    // WAL: readers (the REST API) never wait for the writer (the chargers); foreign keys are off by default.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('foreign_keys = ON');
    const db = new Kysely<Database>({ dialect: new SqliteKeepingErrors(sqlite) });
    if (file === ':memory:') return { db, dialect: 'sqlite' };
    // No fsync inside COMMIT, on the event loop: the group commit syncs the WAL before anything is acknowledged.
    sqlite.pragma('synchronous = NORMAL');
    return { db, dialect: 'sqlite', groupCommit: new SqliteGroupCommit(sqlite, file) };
  }
  const pool = new pg.Pool({
    // pg-connection-string turns a URL without a user into user '' that no `user` option can override.
    connectionString: withDefaultUser(options.url, options.env ?? process.env),
    max: options.poolSize,
    // A boot storm queues thousands of queries behind the pool; failing them after a few seconds turns a wave that
    // would drain into chargers refused and retrying (docs/PERFORMANCE.md, section 21).
    connectionTimeoutMillis: options.poolWaitMs ?? 30_000,
    // Names the backends' sessions in pg_stat_activity (several instances: pool size × instances connections).
    application_name: backendApplicationName(options.url),
  });
  // An idle client losing its server (restart, failover) must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  // Nor a client losing it while checked out: pg-pool drops its own error listener during a checkout, and kysely
  // adds none, so the socket dying between two queries of a transaction would be an uncaught 'error' event. The
  // query in flight fails with its own error (the charger gets InternalError) and the pool discards the client.
  pool.on('connect', (client) => client.on('error', () => {}));
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres' };
}

/**
 * SQLite rolls a transaction back by itself on some errors (SQLITE_FULL when the disk is full, SQLITE_IOERR,
 * SQLITE_NOMEM). Kysely's ROLLBACK after them then fails with "cannot rollback - no transaction is active", and
 * that error replaces the real one: the log said SQLITE_ERROR where the operator needs to read SQLITE_FULL
 * ("database or disk is full"). Found by `npm run chaos` (its SQLite disk-full scenario). The ROLLBACK is sent
 * only while a transaction is open.
 */
class SqliteKeepingErrors extends SqliteDialect {
  constructor(private readonly sqlite: SQLite.Database) {
    super({ database: withStatementCache(sqlite) });
  }

  override createDriver(): Driver {
    const driver = super.createDriver();
    const rollback = driver.rollbackTransaction.bind(driver);
    driver.rollbackTransaction = async (connection) => {
      if (this.sqlite.inTransaction) await rollback(connection);
    };
    return driver;
  }
}
