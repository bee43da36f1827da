// The operator CLI (`ocpp-edge chargers|tags|transactions`) as an operator runs it: the built CLI against a real
// backend and a real OCPP charger, tables for people, --json for scripts, pages followed, errors in one sentence.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RPCClient } from 'ocpp-rpc';
import { API_TOKEN, startTestBackend, type TestBackend } from '../../support/backend-instance.js';
import { runCli } from '../../support/cli.js';
import { connectCharger } from '../../support/ocpp-chargers.js';
import { freePort } from '../../support/ports.js';
import { createStorage, type StorageTarget } from '../../support/storage-targets.js';

describe('ocpp-edge chargers, tags, transactions', () => {
  let storage: StorageTarget;
  let backend: TestBackend;
  let charger: RPCClient;
  let dir: string;
  const resets: unknown[] = [];
  const unlocks: unknown[] = [];
  const cli = (...args: string[]) => runCli([...args, '--api-url', backend.httpUrl, '--token', API_TOKEN]);

  before(async () => {
    // SQLite needs no test context (only PostgreSQL may skip).
    storage = (await createStorage('sqlite', undefined as never))!;
    backend = await startTestBackend({ database: storage.url, 'api-token': [API_TOKEN, 'viewer:viewer-token-123'] });
    dir = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-operator-'));
    charger = await connectCharger(backend.ocppUrl, 'CP-LIVE');
    charger.handle('Reset', async ({ params }) => {
      resets.push(params);
      return { status: 'Accepted' };
    });
    charger.handle('UnlockConnector', async ({ params }) => {
      unlocks.push(params);
      return { status: 'Unlocked' };
    });
    await charger.call('BootNotification', { chargePointVendor: 'Acme', chargePointModel: 'Wallbox 22' });
    // Three more, registered and gone: a list of four, paged two at a time below.
    for (const identity of ['CP-A', 'CP-B', 'CP-C']) {
      const other = await connectCharger(backend.ocppUrl, identity);
      await other.call('BootNotification', { chargePointVendor: 'Acme', chargePointModel: 'Pole' });
      await other.close();
    }
  });
  after(async () => {
    await charger?.close({ force: true });
    await backend?.stop();
    await storage?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  test('chargers list: a table with every page followed, and --json', async () => {
    const table = await cli('chargers', 'list', '--page-size', '2');
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split('\n');
    assert.match(lines[0]!, /^ID\s+CONNECTED\s+OCPP\s+VENDOR\s+MODEL/);
    assert.deepEqual(
      lines.slice(1, -1).map((line) => line.split(/\s+/)[0]),
      ['CP-A', 'CP-B', 'CP-C', 'CP-LIVE'],
    );
    assert.match(lines.find((line) => line.startsWith('CP-LIVE'))!, /^CP-LIVE\s+yes\s+1\.6\s+Acme\s+Wallbox 22/);
    assert.equal(lines.at(-1), '4 charge points, 1 connected');

    const json = await cli('chargers', 'list', '--json', '--page-size', '3', '--connected');
    assert.equal(json.code, 0, json.stderr);
    const chargePoints = JSON.parse(json.stdout) as Array<{ id: string; connected: boolean }>;
    assert.deepEqual(
      chargePoints.map((cp) => [cp.id, cp.connected]),
      [['CP-LIVE', true]],
    );
  });

  test('chargers show: the fields and the connectors', async () => {
    await charger.call('StatusNotification', { connectorId: 1, status: 'Available', errorCode: 'NoError' });
    const result = await cli('chargers', 'show', 'CP-LIVE');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Charge point:\s+CP-LIVE$/m);
    assert.match(result.stdout, /^Model:\s+Wallbox 22$/m);
    assert.match(result.stdout, /^1\s+Available\s+-/m);
    const missing = await cli('chargers', 'show', 'NOPE');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^ocpp-edge chargers show: charge point NOPE is not registered \(GET .*: 404\)\n$/);
  });

  test('chargers reset and unlock reach the charger and print its answer', async () => {
    const reset = await cli('chargers', 'reset', 'CP-LIVE', '--hard');
    assert.equal(reset.code, 0, reset.stderr);
    assert.equal(reset.stdout, 'CP-LIVE: Reset Accepted\n');
    assert.deepEqual(resets, [{ type: 'Hard' }]);
    const unlock = await cli('chargers', 'unlock', 'CP-LIVE', '2', '--json');
    assert.equal(unlock.code, 0, unlock.stderr);
    assert.deepEqual(JSON.parse(unlock.stdout), { status: 'Unlocked' });
    assert.deepEqual(unlocks, [{ connectorId: 2 }]);
    const offline = await cli('chargers', 'reset', 'CP-A');
    assert.equal(offline.code, 1);
    assert.match(offline.stderr, /not connected.*409/);
  });

  test('a refused token names where to set one; a viewer token may not reset; no backend says so', async () => {
    const refused = await runCli(['chargers', 'list', '--api-url', backend.httpUrl, '--token', 'wrong-token']);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /token refused by http:\/\/127\.0\.0\.1:\d+ \(token from --token\): set --token or OCPP_EDGE_CLI_TOKEN/,
    );
    const none = await runCli(['chargers', 'list'], { env: { OCPP_EDGE_CLI_API_URL: backend.httpUrl } });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /needs a token: set --token, OCPP_EDGE_CLI_TOKEN/);
    const viewer = await runCli(['chargers', 'reset', 'CP-LIVE'], {
      env: { OCPP_EDGE_CLI_API_URL: backend.httpUrl, OCPP_EDGE_CLI_TOKEN: 'viewer-token-123' },
    });
    assert.equal(viewer.code, 1);
    assert.match(viewer.stderr, /not allowed: this needs the operator role; the token has viewer/);
    const port = await freePort();
    const down = await runCli(['tags', 'list', '--api-url', `http://127.0.0.1:${port}`, '--token', 'x']);
    assert.equal(down.code, 1);
    assert.match(
      down.stderr,
      /cannot reach the API at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\): is the backend running/,
    );
  });

  test('--config supplies the API address and its strongest token from the backend: section', async () => {
    const file = path.join(dir, 'stack.yaml');
    const port = new URL(backend.httpUrl).port;
    await writeFile(
      file,
      `backend:\n  host: 0.0.0.0\n  port: ${port}\n  api-token: [viewer:viewer-token-123, ${API_TOKEN}]\n`,
    );
    const result = await runCli(['chargers', 'reset', 'CP-LIVE', '--config', file]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'CP-LIVE: Reset Accepted\n');
  });

  test('tags add, block, list and import (CSV and JSON)', async () => {
    const added = await cli('tags', 'add', 'CARD-1', '--expiry', '2030-01-01T00:00:00Z', '--group', 'FLEET');
    assert.equal(added.code, 0, added.stderr);
    assert.equal(added.stdout, 'CARD-1: added, Accepted\n');
    const blocked = await cli('tags', 'block', 'CARD-1');
    assert.equal(blocked.stdout, 'CARD-1: updated, Blocked\n');
    const csv = path.join(dir, 'cards.csv');
    await writeFile(csv, 'idTag,status,expiryDate,parentIdTag\nCARD-2,Accepted,,FLEET\nCARD-3,Invalid,,\n');
    const imported = await cli('tags', 'import', csv);
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal(imported.stdout, `imported ${csv}: 2 added, 0 updated, 0 removed\n`);
    const json = path.join(dir, 'cards.json');
    await writeFile(json, JSON.stringify([{ idTag: 'CARD-3', status: 'Accepted' }, { idTag: 'CARD-4' }]));
    const importedJson = await cli('tags', 'import', json, '--json');
    assert.deepEqual(JSON.parse(importedJson.stdout), { created: 1, updated: 1, removed: 0 });

    const listed = await cli('tags', 'list', '--page-size', '2');
    assert.equal(listed.code, 0, listed.stderr);
    const rows = listed.stdout.trim().split('\n');
    assert.match(rows[0]!, /^ID TAG\s+STATUS\s+EXPIRES\s+GROUP$/);
    assert.match(rows[1]!, /^CARD-1\s+Blocked\s+2030-01-01T00:00:00(\.000)?Z\s+FLEET$/);
    assert.deepEqual(
      rows.slice(1, -1).map((row) => row.split(/\s+/).slice(0, 2)),
      [
        ['CARD-1', 'Blocked'],
        ['CARD-2', 'Accepted'],
        ['CARD-3', 'Accepted'],
        ['CARD-4', 'Accepted'],
      ],
    );
    assert.equal(rows.at(-1), '4 id tags');
    const group = JSON.parse((await cli('tags', 'list', '--group', 'FLEET', '--json')).stdout) as { idTag: string }[];
    assert.deepEqual(
      group.map((tag) => tag.idTag),
      ['CARD-1', 'CARD-2'],
    );
    const unknown = await cli('tags', 'import', path.join(dir, 'cards.txt'));
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /cannot tell the format .*--format csv\|json/);
  });

  test('transactions list follows pages up to --limit; export --since streams CSV and JSON', async () => {
    await cli('tags', 'add', 'DRIVER');
    const days = ['2026-10-30', '2026-11-02', '2026-11-05'];
    for (const day of days) {
      const started = (await charger.call('StartTransaction', {
        connectorId: 1,
        idTag: 'DRIVER',
        meterStart: 1000,
        timestamp: `${day}T08:00:00Z`,
      })) as { transactionId: number };
      if (day !== days.at(-1))
        await charger.call('StopTransaction', {
          transactionId: started.transactionId,
          meterStop: 13_500,
          timestamp: `${day}T09:00:00Z`,
        });
    }
    const listed = await cli('transactions', 'list', '--page-size', '1');
    assert.equal(listed.code, 0, listed.stderr);
    const rows = listed.stdout.trim().split('\n');
    assert.match(rows[0]!, /^ID\s+CHARGER\s+CONNECTOR\s+ID TAG\s+STARTED\s+STOPPED\s+KWH/);
    assert.equal(rows.length, 5);
    assert.match(rows[1]!, /CP-LIVE\s+1\s+DRIVER\s+2026-11-05T08:00:00(\.000)?Z\s+running\s+-\s+-$/);
    assert.match(rows[2]!, /2026-11-02T09:00:00(\.000)?Z\s+12\.500\s+/);
    assert.equal(rows.at(-1), '3 transactions, 1 running');
    const limited = JSON.parse(
      (await cli('transactions', 'list', '--limit', '2', '--page-size', '1', '--json')).stdout,
    );
    assert.equal(limited.length, 2);

    const csv = await cli('transactions', 'export', '--since', '2026-11-01');
    assert.equal(csv.code, 0, csv.stderr);
    const csvLines = csv.stdout.trim().split('\n');
    assert.equal(csvLines.length, 3, csv.stdout);
    assert.ok(csvLines.slice(1).every((line) => line.includes('2026-11-0')));
    const file = path.join(dir, 'export.json');
    const json = await cli('transactions', 'export', '--since', '2026-11-01', '--json', '--page-size', '1', '-o', file);
    assert.equal(json.code, 0, json.stderr);
    const exported = JSON.parse(await readFile(file, 'utf8')) as { startTime: string }[];
    assert.deepEqual(
      exported.map((t) => t.startTime.slice(0, 10)),
      ['2026-11-05', '2026-11-02'],
    );
  });
});
