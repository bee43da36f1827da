// GET /api/charge-points a page at a time (cursor `after`, Link rel="next"), searched and filtered by connection,
// and /api/fleet/summary's counts: what the console's Fleet page stands on, on SQLite and PostgreSQL.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RPCClient } from 'ocpp-rpc';
import { startTestBackend, type TestBackend } from '../../support/backend-instance.js';
import { connectCharger } from '../../support/ocpp-chargers.js';
import { createStorage, STORAGE_NAMES, type StorageTarget } from '../../support/storage-targets.js';

for (const kind of STORAGE_NAMES) {
  describe(`charge point pages (${kind})`, () => {
    let storage: StorageTarget | undefined;
    let backend: TestBackend;
    let charger: RPCClient;

    before(async (t) => {
      storage = await createStorage(kind, t as never);
      if (!storage) return;
      backend = await startTestBackend({ database: storage.url });
      for (const id of ['CP-A1', 'CP-A2', 'CP-B1', 'CP-B2', 'CP_C%']) {
        assert.equal((await backend.api('PUT', `/api/charge-points/${encodeURIComponent(id)}`, {})).status, 201);
      }
      charger = await connectCharger(backend.ocppUrl, 'CP-B1');
      await charger.call('BootNotification', { chargePointVendor: 'Alfen', chargePointModel: 'Eve Single' });
      await charger.call('StatusNotification', { connectorId: 1, errorCode: 'GroundFailure', status: 'Faulted' });
    });
    after(async () => {
      await charger?.close({ force: true });
      await backend?.stop();
      await storage?.cleanup();
    });

    it('pages in identity order with a cursor, and names the next page in Link', async (t) => {
      if (!storage) return t.skip('no storage');
      const first = await backend.api('GET', '/api/charge-points?limit=2');
      assert.deepEqual(
        first.body.map((cp: { id: string }) => cp.id),
        ['CP-A1', 'CP-A2'],
      );
      const cursor = first.headers.get('x-next-cursor')!;
      assert.ok(cursor);
      assert.equal(first.headers.get('link'), `</api/charge-points?limit=2&cursor=${cursor}>; rel="next"`);
      const second = await backend.api('GET', `/api/charge-points?limit=2&cursor=${cursor}`);
      assert.deepEqual(
        second.body.map((cp: { id: string }) => cp.id),
        ['CP-B1', 'CP-B2'],
      );
      const byIdentity = await backend.api('GET', '/api/charge-points?limit=2&after=CP-A2');
      assert.deepEqual(byIdentity.body, second.body);
      assert.equal((await backend.api('GET', '/api/charge-points?cursor=forged')).status, 400);
      const last = await backend.api('GET', '/api/charge-points?limit=2&after=CP-B2');
      assert.deepEqual(
        last.body.map((cp: { id: string }) => cp.id),
        ['CP_C%'],
      );
      assert.equal(last.headers.get('link'), null);
    });

    it('searches identity, vendor and model in any case, LIKE wildcards taken literally', async (t) => {
      if (!storage) return t.skip('no storage');
      const ids = async (query: string) =>
        (await backend.api('GET', `/api/charge-points?${query}`)).body.map((cp: { id: string }) => cp.id);
      assert.deepEqual(await ids('q=cp-a'), ['CP-A1', 'CP-A2']);
      assert.deepEqual(await ids('q=ALFEN'), ['CP-B1']);
      assert.deepEqual(await ids('q=eve%20single'), ['CP-B1']);
      assert.deepEqual(await ids(`q=${encodeURIComponent('%')}`), ['CP_C%']);
      assert.deepEqual(await ids('q=_'), ['CP_C%']);
    });

    it('pages the id tags too, searched in any case; without limit it is the whole export', async (t) => {
      if (!storage) return t.skip('no storage');
      for (const tag of ['TAG-1', 'TAG-2', 'tag-3', 'OTHER'])
        assert.equal((await backend.api('PUT', `/api/id-tags/${tag}`, { status: 'Accepted' })).status, 201);
      const first = await backend.api('GET', '/api/id-tags?limit=2&q=tag');
      assert.deepEqual(
        first.body.map((tag: { idTag: string }) => tag.idTag),
        ['TAG-1', 'TAG-2'],
      );
      const next = await backend.api('GET', `/api/id-tags?limit=2&q=tag&cursor=${first.headers.get('x-next-cursor')}`);
      assert.deepEqual(
        next.body.map((tag: { idTag: string }) => tag.idTag),
        ['tag-3'],
      );
      assert.equal(next.headers.get('link'), null);
      assert.equal((await backend.api('GET', '/api/id-tags')).body.length, 4);
    });

    it('filters by connection, and counts the fleet by state', async (t) => {
      if (!storage) return t.skip('no storage');
      const connected = await backend.api('GET', '/api/charge-points?connected=true');
      assert.deepEqual(
        connected.body.map((cp: { id: string; connected: boolean }) => [cp.id, cp.connected]),
        [['CP-B1', true]],
      );
      const offline = await backend.api('GET', '/api/charge-points?connected=false&limit=10');
      assert.equal(offline.body.length, 4);
      assert.ok(offline.body.every((cp: { connected: boolean }) => !cp.connected));
      const summary = await backend.api('GET', '/api/fleet/summary');
      assert.deepEqual(summary.body, { registered: 5, connected: 1, disconnected: 4, faulted: 1, charging: 0 });
    });
  });
}
