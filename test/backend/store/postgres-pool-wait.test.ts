// --db-pool-wait: a query that finds every PostgreSQL connection of the pool busy waits that long for one, then
// fails with the pool's timeout; it succeeds when a connection comes free within it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Store } from '../../../backend/store/store.js';
import { createStorage } from '../../support/storage-targets.js';

describe('PostgreSQL pool wait', () => {
  it('waits --db-pool-wait for a busy pool, then fails; a connection freed in time is taken', async (t) => {
    const storage = await createStorage('postgres', t);
    if (!storage) return;
    t.after(() => storage.cleanup());
    const { store } = await Store.open({ url: storage.url, poolSize: 1, poolWaitMs: 1500 });
    t.after(() => store.close());

    // The pool's one connection held by an open transaction.
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let opened!: () => void;
    const open = new Promise<void>((resolve) => {
      opened = resolve;
    });
    const transaction = store.db.transaction().execute(async (trx) => {
      await trx.selectFrom('charge_points').select('id').execute();
      opened();
      await held;
    });
    await open;

    const started = Date.now();
    await assert.rejects(store.getChargePoint('CP-1'), /timeout exceeded when trying to connect/);
    const waited = Date.now() - started;
    assert.ok(waited >= 1400 && waited < 4000, `waited ${waited} ms for a 1.5 s pool wait`);

    // Freed within the wait: the query gets the connection.
    const query = store.getChargePoint('CP-1');
    setTimeout(release, 300);
    assert.equal(await query, undefined);
    await transaction;
  });
});
