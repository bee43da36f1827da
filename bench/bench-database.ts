// The full backend's database for a bench run: a fresh SQLite file, or a fresh schema in the PostgreSQL the test
// suite uses (127.0.0.1:5432, database `test`, trust), dropped afterwards. Every run starts empty, so each charger
// of a storm is registered on the spot, as in a first deployment.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { POSTGRES_HOST, reachablePostgresUser } from '../test/support/storage-targets.js';

export type BenchDatabaseKind = 'sqlite' | 'postgres';
export const BENCH_DATABASES: readonly BenchDatabaseKind[] = ['sqlite', 'postgres'];

export interface BenchDatabase {
  kind: BenchDatabaseKind;
  /** The backend's --database. */
  url: string;
  cleanup(): Promise<void>;
}

export async function createBenchDatabase(kind: BenchDatabaseKind): Promise<BenchDatabase> {
  if (kind === 'sqlite') {
    const directory = await mkdtemp(path.join(tmpdir(), 'ocpp-edge-bench-backend-'));
    return {
      kind,
      url: `sqlite:${path.join(directory, 'ocpp.db')}`,
      cleanup: () => rm(directory, { recursive: true, force: true }),
    };
  }
  const user = await reachablePostgresUser();
  if (!user) throw new Error(`bench: PostgreSQL not reachable at ${POSTGRES_HOST} (database test)`);
  const base = `postgres://${user}@${POSTGRES_HOST}/test`;
  const schema = `ocpp_edge_bench_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await onPostgres(base, `create schema ${schema}`);
  return {
    kind,
    // libpq's options put every connection of the backend (and its migrations) in the fresh schema.
    url: `${base}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    cleanup: () => onPostgres(base, `drop schema if exists ${schema} cascade`),
  };
}

async function onPostgres(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
