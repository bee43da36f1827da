// The REST lists an operator exports from: transactions page by cursor past the old 1,000 cap, filter by charger,
// id tag and time range, and export whole as CSV; id tags are listable; charge points filter by connected and
// last seen. On both storage dialects.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RawCharger } from '../support/ocpp-chargers.js';
import { withBackend, type TestBackend } from '../support/backend-instance.js';
import { STORAGE_NAMES } from '../support/storage-targets.js';

const TOTAL = 1050;
const BASE = Date.UTC(2026, 0, 1);
const at = (minutes: number) => new Date(BASE + minutes * 60_000).toISOString();

async function seed(backend: TestBackend): Promise<void> {
  const { store } = backend.handle;
  await store.ensureChargePoint('CP-A', at(0));
  await store.ensureChargePoint('CP-B', at(0));
  for (let index = 0; index < TOTAL; index++) {
    await store.startTransaction({
      chargePointId: index % 3 === 0 ? 'CP-B' : 'CP-A',
      connectorId: 1,
      // Every 100th id tag starts like a spreadsheet formula.
      idTag: index % 100 === 7 ? '=HYPERLINK("x")' : `TAG-${index % 10}`,
      meterStart: index,
      startTime: at(index),
    });
  }
}

/** Every page of a list, following Link rel="next"; each page's ids. */
async function allPages(backend: TestBackend, first: string): Promise<unknown[][]> {
  const pages: unknown[][] = [];
  let path: string | undefined = first;
  while (path) {
    const answer = await backend.api('GET', path);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    pages.push(answer.body as unknown[]);
    const link = answer.headers.get('link');
    path = link ? /^<([^>]+)>; rel="next"$/.exec(link)?.[1] : undefined;
    const cursor = path && new URL(path, 'http://x').searchParams.get('cursor');
    if (cursor) assert.equal(answer.headers.get('x-next-cursor'), cursor);
    assert.ok(pages.length < 50, 'bounded');
  }
  return pages;
}

for (const dialect of STORAGE_NAMES) {
  describe(`REST lists (${dialect})`, () => {
    test('transactions: cursor pages past 1,000, filters, CSV export of every one', async (t) => {
      await withBackend(t, dialect, {}, async (backend) => {
        await seed(backend);
        const pages = await allPages(backend, '/api/transactions?limit=400');
        assert.deepEqual(
          pages.map((page) => page.length),
          [400, 400, 250],
        );
        const ids = pages.flat().map((row) => (row as { id: number }).id);
        assert.equal(new Set(ids).size, TOTAL, 'every transaction once');
        assert.deepEqual(
          ids,
          [...ids].sort((a, b) => b - a),
          'newest first across pages',
        );

        // Filters: charger, id tag, time range (half-open: since inclusive, until exclusive), in any UTC offset.
        const onB = await allPages(backend, '/api/transactions?chargePointId=CP-B&limit=1000');
        assert.equal(onB.flat().length, Math.ceil(TOTAL / 3));
        const window = await backend.api(
          'GET',
          `/api/transactions?since=${encodeURIComponent('2026-01-01T01:00:00+00:00')}&until=${encodeURIComponent('2026-01-01T03:00:00+02:00')}`,
        );
        assert.equal(window.status, 200);
        assert.equal((window.body as unknown[]).length, 0, 'until 01:00Z is before since: nothing');
        const hour = await backend.api('GET', `/api/transactions?since=${at(60)}&until=${at(120)}&limit=1000`);
        assert.equal((hour.body as unknown[]).length, 60);
        const tag = await backend.api('GET', '/api/transactions?idTag=TAG-3&limit=1000');
        assert.ok((tag.body as Array<{ idTag: string }>).every((row) => row.idTag === 'TAG-3'));
        assert.equal((await backend.api('GET', '/api/transactions?cursor=not-ours')).status, 400);
        assert.equal((await backend.api('GET', '/api/transactions?since=yesterday')).status, 400);

        const csv = await fetch(`${backend.httpUrl}/api/transactions/export.csv`, {
          headers: { authorization: `Bearer ${'test-token-0123456789'}` },
        });
        assert.equal(csv.status, 200);
        assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
        const lines = (await csv.text()).split('\r\n').filter((line) => line !== '');
        assert.equal(
          lines[0],
          'id,chargePointId,connectorId,idTag,startTime,stopTime,meterStart,meterStop,energyWh,stopReason,reservationId',
        );
        assert.equal(lines.length, TOTAL + 1, 'every transaction, past the 1,000 of a page');
        assert.ok(
          lines.some((line) => line.includes(`"'=HYPERLINK(""x"")"`)),
          'formula-like fields are defused and quoted',
        );
        const filtered = await fetch(
          `${backend.httpUrl}/api/transactions/export.csv?chargePointId=CP-B&since=${at(0)}`,
          {
            headers: { authorization: 'Bearer test-token-0123456789' },
          },
        );
        assert.equal(
          (await filtered.text()).split('\r\n').filter((line) => line !== '').length,
          Math.ceil(TOTAL / 3) + 1,
        );
        assert.equal((await fetch(`${backend.httpUrl}/api/transactions/export.csv`)).status, 401, 'needs a token');
      });
    });

    test('charge points: filtered by connected and last seen, paged with a limit', async (t) => {
      await withBackend(t, dialect, {}, async (backend) => {
        const { store } = backend.handle;
        for (const id of ['CP-1', 'CP-2', 'CP-3', 'CP-4']) await store.ensureChargePoint(id, at(0));
        await store.recordHeartbeat('CP-1', at(10));
        await store.recordHeartbeat('CP-2', at(100));
        const online = await RawCharger.connect(backend.ocppUrl, 'CP-3', ['ocpp1.6']);
        try {
          const ids = async (path: string) =>
            ((await backend.api('GET', path)).body as Array<{ id: string }>).map((row) => row.id);
          assert.deepEqual(await ids('/api/charge-points?connected=true'), ['CP-3']);
          assert.deepEqual(await ids('/api/charge-points?connected=false'), ['CP-1', 'CP-2', 'CP-4']);
          assert.deepEqual(await ids(`/api/charge-points?seenSince=${at(50)}`), ['CP-2']);
          const pages = await allPages(backend, '/api/charge-points?limit=3');
          assert.deepEqual(
            pages.map((page) => page.length),
            [3, 1],
          );
        } finally {
          online.ws.close();
        }
      });
    });
  });
}
