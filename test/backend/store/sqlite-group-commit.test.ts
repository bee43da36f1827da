// The group commit on a real SQLite file: commits made together are synced together, nothing new costs no
// sync, and a transaction still open when a sync starts is not taken as covered by it.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { sql } from 'kysely';
import { Store } from '../../../backend/store/store.js';
import { startTestBackend } from '../../support/backend-instance.js';
import { RawCharger } from '../../support/ocpp-chargers.js';
import { createStorage } from '../../support/storage-targets.js';

async function openStore(t: TestContext): Promise<Store> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ocpp-edge-group-commit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { store } = await Store.open({ url: `sqlite:${path.join(dir, 'central.db')}`, poolSize: 1 });
  t.after(() => store.close());
  return store;
}

describe('SQLite group commit', () => {
  it('commits WAL-mode with synchronous=NORMAL and syncs the WAL itself', async (t) => {
    const store = await openStore(t);
    assert.ok(store.groupCommit, 'a SQLite file gets a group commit');
    const mode = await sql<{ synchronous: number }>`pragma synchronous`.execute(store.db);
    assert.equal(mode.rows[0]!.synchronous, 1, 'NORMAL: no fsync inside COMMIT');
    const before = store.groupCommit.stats.syncs;
    await store.ensureChargePoint('CP-1', new Date().toISOString());
    await store.durable();
    assert.equal(store.groupCommit.stats.syncs, before + 1);
  });

  it('many chargers committing at once share a few syncs, and each is answered after one', async (t) => {
    const store = await openStore(t);
    await store.durable();
    const before = store.groupCommit!.stats.syncs;
    const now = new Date().toISOString();
    const ids = Array.from({ length: 50 }, (_, i) => `CP-${i}`);
    const synced: number[] = [];
    await Promise.all(
      ids.map(async (id) => {
        await store.ensureChargePoint(id, now);
        await store.recordHeartbeat(id, now);
        await store.durable();
        synced.push(store.groupCommit!.stats.syncs);
      }),
    );
    const syncs = store.groupCommit!.stats.syncs - before;
    assert.ok(syncs >= 1, 'the writes were synced');
    assert.ok(syncs <= 10, `50 chargers' 100 commits took ${syncs} syncs, not one each`);
    assert.ok(
      synced.every((count) => count > before),
      'nobody was answered before a sync',
    );
    assert.equal((await store.listChargePoints()).length, 50);
  });

  it('costs no sync when nothing was written since the last one', async (t) => {
    const store = await openStore(t);
    await store.ensureChargePoint('CP-1', new Date().toISOString());
    await store.durable();
    const before = store.groupCommit!.stats.syncs;
    await store.getChargePoint('CP-1');
    await store.durable();
    await store.durable();
    assert.equal(store.groupCommit!.stats.syncs, before);
  });

  it('a transaction open while a sync starts is synced again after its commit', async (t) => {
    const store = await openStore(t);
    await store.durable();
    let insideSync: Promise<void> | undefined;
    await store.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('charge_points')
        .values({ id: 'CP-open', registered_at: new Date().toISOString() } as never)
        .execute();
      // Another caller's durable() while this transaction holds uncommitted changes.
      insideSync = store.durable();
      await insideSync;
    });
    const afterOther = store.groupCommit!.stats.syncs;
    await store.durable();
    assert.equal(store.groupCommit!.stats.syncs, afterOther + 1, "the commit after the other's sync is synced too");
  });

  it("the backend's syncs are metrics", async (t) => {
    const storage = (await createStorage('sqlite', t))!;
    t.after(() => storage.cleanup());
    const backend = await startTestBackend({ database: storage.url });
    t.after(() => backend.stop());
    const charger = await RawCharger.connect(backend.ocppUrl, 'CP-METRICS', ['ocpp1.6']);
    t.after(() => charger.close());
    await charger.call('boot', 'BootNotification', { chargePointVendor: 'v', chargePointModel: 'm' });
    const text = await backend.metrics();
    const count = Number(/^ocpp_edge_database_sync_seconds_count\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
    assert.ok(count >= 1, 'the boot was synced, and counted');
    assert.match(text, /^ocpp_edge_database_sync_failures_total\{[^}]*\} 0$/m);
  });
});
