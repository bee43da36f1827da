// Migrations on a PostgreSQL database that other schemas share: kysely reads the columns of every schema to find
// its bookkeeping tables, and a schema another deployment (or test) drops meanwhile fails that read. Such a failure
// is told from a real one by PostgreSQL's own errors, taken here from a real server.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { vanishedUnderCatalogScan } from '../../backend/store/migrations.js';
import { createStorage } from '../support/storage-targets.js';

/** The error PostgreSQL raises for `statement`, on a connection to the test database. */
async function postgresError(url: string, statement: string): Promise<Error & { code?: string }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } catch (error) {
    return error as Error & { code?: string };
  } finally {
    await client.end();
  }
  throw new Error(`${statement} did not fail`);
}

describe('migrations next to schemas that come and go', () => {
  it('retries when another schema or table vanished under the catalog scan, never for its own', async (t) => {
    const storage = await createStorage('postgres', t as never);
    if (!storage) return;
    try {
      const own = /search_path%3D([a-z0-9_]+)/.exec(storage.url)![1]!;
      // What kysely's column scan meets: a schema looked up by name (has_schema_privilege), a table by its
      // qualified name (pg_get_serial_sequence), both gone.
      const schemaGone = await postgresError(
        storage.url,
        `select has_schema_privilege('ocpp_edge_gone_${process.pid}', 'USAGE')`,
      );
      const tableGone = await postgresError(
        storage.url,
        `select pg_get_serial_sequence('ocpp_edge_gone_${process.pid}.t', 'id')`,
      );
      assert.equal(schemaGone.code, '3F000', schemaGone.message);
      assert.ok(['3F000', '42P01'].includes(tableGone.code!), tableGone.message);
      assert.equal(vanishedUnderCatalogScan(schemaGone, own), true);
      assert.equal(vanishedUnderCatalogScan(tableGone, own), true);

      // The same errors about our own schema, or any other error, are real failures.
      await storage.exec('create table charge_points (id text primary key)');
      const ownTableGone = await postgresError(
        storage.url,
        `select pg_get_serial_sequence('${own}.no_such_table', 'id')`,
      );
      assert.equal(ownTableGone.code, '42P01', ownTableGone.message);
      assert.equal(vanishedUnderCatalogScan(ownTableGone, own), false);
      const ownSchemaGone = await postgresError(storage.url, `select has_schema_privilege('${own}_x', 'USAGE')`);
      assert.equal(vanishedUnderCatalogScan(ownSchemaGone, `${own}_x`), false);
      const duplicate = await postgresError(storage.url, 'create table charge_points (id text)');
      assert.equal(vanishedUnderCatalogScan(duplicate, own), false);
      // SQLite has no schemas to lose.
      assert.equal(vanishedUnderCatalogScan(schemaGone, undefined), false);
    } finally {
      await storage.cleanup();
    }
  });
});
