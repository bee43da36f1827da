// --database postgres://HOST/DB without a user: the user defaults as libpq's does (PGUSER, else the name of the
// process's operating-system user), not to $USER, which service managers may leave unset.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import os from 'node:os';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { backendApplicationName, withDefaultUser } from '../../../backend/store/database.js';
import { createStorage, POSTGRES_HOST } from '../../support/storage-targets.js';

const DATABASE_MODULE = fileURLToPath(new URL('../../../backend/store/database.js', import.meta.url));

describe('a PostgreSQL URL without a user', () => {
  test('gets the user from PGUSER, else from the operating system, as a query parameter', () => {
    assert.equal(
      withDefaultUser('postgres://db.internal:5432/ocpp', { PGUSER: 'ocpp' }),
      'postgres://db.internal:5432/ocpp?user=ocpp',
    );
    assert.equal(
      withDefaultUser('postgres://db.internal/ocpp', {}),
      `postgres://db.internal/ocpp?user=${encodeURIComponent(os.userInfo().username)}`,
    );
    assert.equal(
      withDefaultUser('postgres:///ocpp?host=/run/postgresql', { PGUSER: 'x' }),
      'postgres:///ocpp?host=%2Frun%2Fpostgresql&user=x',
    );
    // A user given in the URL is kept as it is.
    assert.equal(withDefaultUser('postgres://me:pw@db/ocpp', { PGUSER: 'x' }), 'postgres://me:pw@db/ocpp');
    assert.equal(withDefaultUser('postgres://db/ocpp?user=me', { PGUSER: 'x' }), 'postgres://db/ocpp?user=me');
  });

  test('connects without USER in the environment, as under a service manager', async (t) => {
    // A real PostgreSQL must be there (skipped outside CI when it is not).
    const storage = await createStorage('postgres', t);
    if (!storage) return;
    await storage.cleanup();
    const script = `
      const { openDatabase } = await import(${JSON.stringify(DATABASE_MODULE)});
      const { sql } = await import('kysely');
      const { db } = openDatabase({ url: process.argv[1], poolSize: 1 });
      try {
        const { rows } = await sql\`select current_user as name\`.execute(db);
        process.stdout.write(rows[0].name);
      } finally {
        await db.destroy();
      }`;
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !['USER', 'LOGNAME', 'PGUSER', 'USERNAME'].includes(key)),
    );
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, `postgres://${POSTGRES_HOST}/test`], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: fileURLToPath(new URL('../../../../', import.meta.url)),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 0, stderr);
    assert.equal(stdout, os.userInfo().username);
  });
});

describe("the backend's PostgreSQL session name", () => {
  test('names the schema of a search_path, so a restore waits only for backends of its own schema', () => {
    assert.equal(backendApplicationName('postgres://db/ocpp'), 'ocpp-edge-backend');
    assert.equal(
      backendApplicationName(`postgres://db/test?options=${encodeURIComponent('-c search_path=site_b')}`),
      'ocpp-edge-backend site_b',
    );
    assert.equal(backendApplicationName(`postgres://db/t?options=-c%20search_path%3D${'s'.repeat(80)}`).length, 63);
  });
});
