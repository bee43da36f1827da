// The group lease as PostgreSQL advisory locks, between two stores on one schema as two instances would have:
// one holds a group, the other cannot until the first releases it or its connection ends; other groups are free.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PostgresGroupLease } from '../../../backend/smart-charging/postgres-group-lease.js';
import { Store } from '../../../backend/store/store.js';
import { createStorage } from '../../support/storage-targets.js';

describe('PostgreSQL group lease', () => {
  it('one holder per group; released by release() or by the holder closing', async (t) => {
    const storage = await createStorage('postgres', t);
    if (!storage) return;
    const first = (await Store.open({ url: storage.url, poolSize: 4 })).store;
    const second = (await Store.open({ url: storage.url, poolSize: 4 })).store;
    const a = new PostgresGroupLease(first.db as never);
    const b = new PostgresGroupLease(second.db as never);
    try {
      assert.equal(await a.hold('site'), true);
      assert.equal(await a.hold('site'), true, 'renewed by its holder');
      assert.equal(await b.hold('site'), false);
      assert.equal(await b.hold('other'), true, 'another group is free');
      await a.release('site');
      assert.equal(await b.hold('site'), true, 'released: the other takes it');
      assert.equal(await a.hold('site'), false);
      // The holder's connection ends (it stopped, or died): PostgreSQL frees its locks.
      await b.close();
      assert.equal(await a.hold('site'), true);
    } finally {
      await a.close();
      await b.close();
      await first.close();
      await second.close();
      await storage.cleanup();
    }
  });
});
