// Issue 17 §5: `ocpp-edge backup` while the backend runs under load, `ocpp-edge restore` into the stopped
// deployment, and every transaction the chargers had been answered for before the backup began is there after the
// restore, in a database the backend starts on. A restore refuses while a backend has the database open, and a
// backup the build does not know the schema of. SQLite (online backup API) and PostgreSQL (pg_dump/pg_restore).

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import SQLite from 'better-sqlite3';
import type { RPCClient } from 'ocpp-rpc';
import { startTestBackend, type TestBackend } from '../../support/backend-instance.js';
import { runCli } from '../../support/cli.js';
import { connectCharger } from '../../support/ocpp-chargers.js';
import { makeTempDir } from '../../support/proxy-under-test.js';
import { createStorage, type StorageTarget } from '../../support/storage-targets.js';

const CHARGERS = 6;

/** Chargers starting and stopping transactions as fast as they are answered, until stop(). */
function transactionLoad(chargers: RPCClient[]) {
  const acknowledged: number[] = [];
  let running = true;
  const loops = chargers.map(async (charger, index) => {
    let meter = 0;
    while (running) {
      const start = (await charger.call('StartTransaction', {
        connectorId: 1,
        idTag: 'BACKUP-TAG',
        meterStart: meter,
        timestamp: new Date().toISOString(),
      })) as { transactionId: number };
      acknowledged.push(start.transactionId);
      meter += 10;
      await charger.call('StopTransaction', {
        transactionId: start.transactionId,
        meterStop: meter,
        timestamp: new Date().toISOString(),
        idTag: 'BACKUP-TAG',
      });
      if (index < 0) break;
    }
  });
  return {
    acknowledged,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function startChargers(backend: TestBackend): Promise<RPCClient[]> {
  await backend.api('PUT', '/api/id-tags/BACKUP-TAG', { status: 'Accepted' });
  const chargers: RPCClient[] = [];
  for (let i = 0; i < CHARGERS; i++) {
    const charger = await connectCharger(backend.ocppUrl, `CP-BACKUP-${i}`);
    await charger.call('BootNotification', { chargePointVendor: 'V', chargePointModel: 'M' });
    chargers.push(charger);
  }
  return chargers;
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('load did not start in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Backs up under load; returns the ids acknowledged before the backup began and the backup file. */
async function backupUnderLoad(backend: TestBackend, database: string, file: string) {
  const chargers = await startChargers(backend);
  const load = transactionLoad(chargers);
  try {
    await waitUntil(() => load.acknowledged.length >= 50, 20_000);
    const before = [...load.acknowledged];
    const backup = await runCli(['backup', '--out', file, '--database', database]);
    const during = load.acknowledged.length - before.length;
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /^Backed up .* migrations, latest /);
    assert.ok(during > 0, 'the chargers kept being answered while the backup ran');
    return { before, stdout: backup.stdout };
  } finally {
    await load.stop();
    for (const charger of chargers) await charger.close({ force: true });
  }
}

async function assertAllPresent(backend: TestBackend, ids: number[]): Promise<void> {
  const missing: number[] = [];
  for (const id of ids) if ((await backend.api('GET', `/api/transactions/${id}`)).status !== 200) missing.push(id);
  assert.deepEqual(missing, [], `${missing.length} of ${ids.length} acknowledged transactions lost`);
}

describe('backup and restore', () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  test('SQLite: a backup taken under load restores every acknowledged transaction', async (t) => {
    const storage = (await createStorage('sqlite', t))!;
    cleanups.push(() => storage.cleanup());
    const dir = await makeTempDir('ocpp-edge-backup-');
    const file = path.join(dir, 'ocpp-backup.db');
    let backend = await startTestBackend({ database: storage.url });
    let stopped = false;
    cleanups.push(async () => {
      if (!stopped) await backend.stop();
    });
    const { before } = await backupUnderLoad(backend, storage.url, file);

    // The copy is one self-contained, consistent file.
    const copy = new SQLite(file, { readonly: true });
    assert.equal(copy.pragma('integrity_check', { simple: true }), 'ok');
    assert.equal(copy.pragma('journal_mode', { simple: true }), 'delete');
    copy.close();

    const refused = await runCli(['restore', file, '--database', storage.url]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /in use by another process .*stop the backend/);

    await backend.stop();
    stopped = true;
    const restored = await runCli(['restore', file, '--database', storage.url]);
    assert.equal(restored.code, 0, restored.stderr);
    const kept = /kept as (\S+)\. Start/.exec(restored.stdout)?.[1];
    assert.ok(kept && existsSync(kept), restored.stdout);

    backend = await startTestBackend({ database: storage.url });
    stopped = false;
    await assertAllPresent(backend, before);
  });

  test('a backup with a migration this build does not know is refused', async (t) => {
    const storage = (await createStorage('sqlite', t))!;
    cleanups.push(() => storage.cleanup());
    const backend = await startTestBackend({ database: storage.url });
    await backend.stop();
    const dir = await makeTempDir('ocpp-edge-backup-');
    const file = path.join(dir, 'future.db');
    assert.equal((await runCli(['backup', '--out', file, '--database', storage.url])).code, 0);
    const db = new SQLite(file);
    db.prepare("insert into kysely_migration (name, timestamp) values ('9999-from-the-future', '2099-01-01')").run();
    db.close();
    const restore = await runCli(['restore', file, '--database', storage.url]);
    assert.equal(restore.code, 1);
    assert.match(restore.stderr, /9999-from-the-future.*use the release that made it/);
  });

  test('PostgreSQL: pg_dump under load, pg_restore into the stopped deployment, nothing acknowledged lost', async (t) => {
    const storage: StorageTarget | undefined = await createStorage('postgres', t as TestContext);
    if (!storage) return;
    cleanups.push(() => storage.cleanup());
    const dir = await makeTempDir('ocpp-edge-backup-');
    const file = path.join(dir, 'ocpp.dump');
    let backend = await startTestBackend({ database: storage.url });
    let stopped = false;
    cleanups.push(async () => {
      if (!stopped) await backend.stop();
    });
    const { before, stdout } = await backupUnderLoad(backend, storage.url, file);
    assert.match(stdout, /pg_dump custom format/);

    const refused = await runCli(['restore', file, '--database', storage.url]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /backend connections .* stop every backend/);

    await backend.stop();
    stopped = true;
    // A disaster: the data is gone.
    await storage.exec('delete from meter_values');
    await storage.exec('delete from transactions');
    const restored = await runCli(['restore', file, '--database', storage.url]);
    assert.equal(restored.code, 0, restored.stderr);
    backend = await startTestBackend({ database: storage.url });
    stopped = false;
    await assertAllPresent(backend, before);
  });
});
