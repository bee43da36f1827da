// The storage suites run once per dialect: SQLite in a temporary file and PostgreSQL at 127.0.0.1:5432
// (database `test`, trust auth) in a freshly created schema that is dropped afterwards. In CI (CI=true) a
// missing PostgreSQL fails the test; elsewhere it is skipped with a visible message.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';

/** TEST_POSTGRES_HOST overrides it (e.g. to check the skip and CI paths against a closed port). */
export const POSTGRES_HOST = process.env.TEST_POSTGRES_HOST ?? '127.0.0.1:5432';
const POSTGRES_USERS = ['postgres', 'root'];

export interface StorageTarget {
  name: 'sqlite' | 'postgres';
  /** Value for --database. */
  url: string;
  /** Runs SQL on the backend's database through a separate connection (to break it for real in tests). */
  exec(statement: string): Promise<void>;
  cleanup(): Promise<void>;
}

export const STORAGE_NAMES = ['sqlite', 'postgres'] as const;

/** Creates an isolated database for one test, or skips the test (fails it in CI) when PostgreSQL is missing. */
export async function createStorage(name: StorageTarget['name'], t: TestContext): Promise<StorageTarget | undefined> {
  return name === 'sqlite' ? createSqlite() : createPostgres(t);
}

function createSqlite(): StorageTarget {
  const dir = mkdtempSync(path.join(tmpdir(), 'ocpp-edge-backend-'));
  const file = path.join(dir, 'ocpp.db');
  return {
    name: 'sqlite',
    url: `sqlite:${file}`,
    async exec(statement) {
      const db = new Database(file, { timeout: 2000 });
      try {
        db.exec(statement);
      } finally {
        db.close();
      }
    },
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function createPostgres(t: TestContext): Promise<StorageTarget | undefined> {
  const user = await reachablePostgresUser();
  if (!user) {
    const message = `PostgreSQL not reachable at ${POSTGRES_HOST} (database test, users ${POSTGRES_USERS.join('/')})`;
    if (process.env.CI === 'true') throw new Error(`${message}; CI requires it`);
    t.skip(message);
    return undefined;
  }
  const schema = `ocpp_edge_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const base = `postgres://${user}@${POSTGRES_HOST}/test`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  // libpq's options parameter puts the backend's every connection (and its migrations) in the fresh schema.
  const url = `${base}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    name: 'postgres',
    url,
    async exec(statement) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(statement);
      } finally {
        await client.end();
      }
    },
    async cleanup() {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      try {
        await client.query(`drop schema if exists ${schema} cascade`);
      } finally {
        await client.end();
      }
    },
  };
}

let cachedUser: Promise<string | undefined> | undefined;

/** The first of POSTGRES_USERS that can connect to the `test` database, or undefined when PostgreSQL is not reachable (probed once). */
export function reachablePostgresUser(): Promise<string | undefined> {
  cachedUser ??= (async () => {
    for (const user of POSTGRES_USERS) {
      const client = new pg.Client({
        connectionString: `postgres://${user}@${POSTGRES_HOST}/test`,
        connectionTimeoutMillis: 2000,
      });
      try {
        await client.connect();
        await client.end();
        return user;
      } catch {
        await client.end().catch(() => {});
      }
    }
    return undefined;
  })();
  return cachedUser;
}
