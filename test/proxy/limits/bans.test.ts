// Issue 17 §1, bans (fail2ban built in), against the real central system behind the proxy: its 401 answers to
// wrong Basic-auth passwords are what is counted. A charger with a rotated password bans only its own id, never
// its site's (NAT) address; an address is banned when its refusals span many ids and far outnumber its successes;
// (their doubling is in ban-policy.test.ts); `ocpp-edge bans list|lift` shows and ends them; with --bans-store redis every proxy refuses the same.

import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { Ban } from '../../../proxy/limits/ban-list.js';
import { startTestBackend, type TestBackend } from '../../support/backend-instance.js';
import { runCli } from '../../support/cli.js';
import {
  metricValue,
  scrapeMetrics,
  startProxyUnderTest,
  type ProxyUnderTest,
} from '../../support/proxy-under-test.js';
import { createStorage, type StorageTarget } from '../../support/storage-targets.js';
import { upgradeAnswer } from '../../support/upgrade-clients.js';
import { waitFor } from '../../support/waiting.js';

const PASSWORD = 'horse-battery-staple';
const WRONG = 'wrong-battery-staple';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function bansOf(edge: ProxyUnderTest): Promise<Ban[]> {
  const response = await fetch(`http://127.0.0.1:${edge.proxy.metricsPort}/bans`);
  return ((await response.json()) as { bans: Ban[] }).bans;
}

describe('bans after refused upgrades', () => {
  let storage: StorageTarget;
  let backend: TestBackend;
  let edge: ProxyUnderTest;
  const ids = [
    'CP-ROT',
    'CP-NEIGHBOUR',
    ...Array.from({ length: 4 }, (_, i) => `CP-S${i}`),
    ...Array.from({ length: 5 }, (_, i) => `CP-N${i}`),
  ];

  before(async (t) => {
    storage = (await createStorage('sqlite', t as TestContext))!;
    backend = await startTestBackend({ database: storage.url });
    for (const id of ids)
      assert.equal((await backend.api('PUT', `/api/charge-points/${id}`, { password: PASSWORD })).status, 201);
    edge = await startProxyUnderTest({
      upstream: [backend.httpUrl],
      tls: 'self-signed',
      'ban-failures-per-id': 3,
      'ban-ids-per-address': 4,
      'ban-address-ratio': 4,
      'ban-time': 60,
    });
  });

  after(async () => {
    await edge?.close();
    await backend?.stop();
    await storage?.cleanup();
  });

  test('a charger with a rotated password bans its own id only; its neighbours behind the same address connect', async () => {
    const port = edge.proxy.httpsPort;
    const site = { localAddress: '127.0.0.2' };
    for (let i = 0; i < 3; i++)
      assert.equal((await upgradeAnswer(port, '/ocpp/CP-ROT', { ...site, password: WRONG })).status, 401);
    const banned = await upgradeAnswer(port, '/ocpp/CP-ROT', { ...site, password: PASSWORD });
    assert.equal(banned.status, 429, 'banned even with the right password, before the central system');
    assert.match(banned.retryAfter ?? '', /^[1-9]\d*$/);
    // The same id from anywhere else is banned too; the neighbour on the same address is not.
    assert.equal(
      (await upgradeAnswer(port, '/ocpp/CP-ROT', { localAddress: '127.0.0.9', password: PASSWORD })).status,
      429,
    );
    assert.equal((await upgradeAnswer(port, '/ocpp/CP-NEIGHBOUR', { ...site, password: PASSWORD })).status, 101);
    const bans = await bansOf(edge);
    assert.deepEqual(
      bans.map((ban) => [ban.kind, ban.key]),
      [['charge_point', 'CP-ROT']],
    );
    const metrics = await scrapeMetrics(edge.proxy);
    assert.equal(metricValue(metrics, 'ocpp_edge_bans_total', { kind: 'charge_point' }), 1);
    assert.equal(metricValue(metrics, 'ocpp_edge_upgrade_auth_failures_total', { status: '401' }), 3);
    assert.equal(metricValue(metrics, 'ocpp_edge_bans_active', { kind: 'charge_point' }), 1);
    assert.ok(edge.logs.matching((line) => /banned charge point CP-ROT for 60 s/.test(String(line.msg))).length === 1);
  });

  test('an address whose refusals span many ids with no successes is banned: closed at accept; others are not', async () => {
    const port = edge.proxy.httpsPort;
    for (let i = 0; i < 4; i++)
      assert.equal(
        (await upgradeAnswer(port, `/ocpp/CP-S${i}`, { localAddress: '127.0.0.3', password: WRONG })).status,
        401,
      );
    await assert.rejects(upgradeAnswer(port, '/ocpp/CP-S0', { localAddress: '127.0.0.3', password: PASSWORD }));
    assert.equal(
      (await upgradeAnswer(port, '/ocpp/CP-S0', { localAddress: '127.0.0.4', password: PASSWORD })).status,
      101,
    );
    assert.ok((await bansOf(edge)).some((ban) => ban.kind === 'address' && ban.key === '127.0.0.3'));
    assert.ok(
      (metricValue(await scrapeMetrics(edge.proxy), 'ocpp_edge_limit_refusals_total', { reason: 'banned_address' }) ??
        0) >= 1,
    );
  });

  test('`ocpp-edge bans list` shows the bans and `bans lift ADDRESS` ends one', async () => {
    const port = String(edge.proxy.metricsPort);
    const listed = await runCli(['bans', 'list', '--json', '--metrics-port', port], {
      env: { OCPP_EDGE_LOG_PRETTY: '0' },
    });
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(
      (JSON.parse(listed.stdout) as Ban[]).some((ban) => ban.key === '127.0.0.3'),
      listed.stdout,
    );
    const table = await runCli(['bans', 'list', '--metrics-port', port]);
    assert.match(table.stdout, /^KIND\s+BANNED\s+UNTIL/m);
    assert.match(table.stdout, /address\s+127\.0\.0\.3/);
    const lifted = await runCli(['bans', 'lift', '127.0.0.3', '--metrics-port', port]);
    assert.equal(lifted.code, 0, lifted.stderr);
    assert.match(lifted.stdout, /Lifted the ban on address 127\.0\.0\.3/);
    assert.equal(
      (await upgradeAnswer(edge.proxy.httpsPort, '/ocpp/CP-S1', { localAddress: '127.0.0.3', password: PASSWORD }))
        .status,
      101,
    );
    const again = await runCli(['bans', 'lift', '127.0.0.3', '--metrics-port', port]);
    assert.equal(again.code, 1);
    assert.ok(
      edge.logs.matching((line) => /ban of 127\.0\.0\.3 lifted by the operator/.test(String(line.msg))).length === 1,
    );
  });

  test('a site with working chargers is not banned by the same number of refusals', async () => {
    const port = edge.proxy.httpsPort;
    const site = { localAddress: '127.0.0.5' };
    for (let i = 0; i < 5; i++)
      assert.equal((await upgradeAnswer(port, `/ocpp/CP-N${i}`, { ...site, password: PASSWORD })).status, 101);
    for (let i = 0; i < 4; i++)
      assert.equal((await upgradeAnswer(port, `/ocpp/CP-S${i}`, { ...site, password: WRONG })).status, 401);
    assert.equal((await upgradeAnswer(port, '/ocpp/CP-N0', { ...site, password: PASSWORD })).status, 101);
    assert.equal(
      (await bansOf(edge)).some((ban) => ban.key === '127.0.0.5'),
      false,
    );
  });
});

describe('bans shared through Redis', () => {
  let storage: StorageTarget;
  let backend: TestBackend;
  const edges: ProxyUnderTest[] = [];
  const id = `CP-REDIS-${process.pid}`;

  before(async (t) => {
    storage = (await createStorage('sqlite', t as TestContext))!;
    backend = await startTestBackend({ database: storage.url });
    await backend.api('PUT', `/api/charge-points/${id}`, { password: PASSWORD });
    for (let i = 0; i < 2; i++)
      edges.push(
        await startProxyUnderTest({
          upstream: [backend.httpUrl],
          tls: 'self-signed',
          'bans-store': 'redis',
          redis: REDIS_URL,
          'ban-failures-per-id': 2,
          'ban-time': 30,
        }),
      );
  });

  after(async () => {
    for (const edge of edges) await edge.close();
    await backend?.stop();
    await storage?.cleanup();
  });

  test('a ban imposed by one proxy is enforced by the other, and a lift on either ends it on both', async () => {
    const [a, b] = edges as [ProxyUnderTest, ProxyUnderTest];
    for (let i = 0; i < 2; i++)
      assert.equal((await upgradeAnswer(a.proxy.httpsPort, `/ocpp/${id}`, { password: WRONG })).status, 401);
    await waitFor(
      'the other proxy to refuse the id',
      async () => (await upgradeAnswer(b.proxy.httpsPort, `/ocpp/${id}`, { password: PASSWORD })).status === 429,
    );
    const lift = await fetch(`http://127.0.0.1:${b.proxy.metricsPort}/bans/${id}`, { method: 'DELETE' });
    assert.equal(lift.status, 200);
    await waitFor(
      'the first proxy to let the id in again',
      async () => (await upgradeAnswer(a.proxy.httpsPort, `/ocpp/${id}`, { password: PASSWORD })).status === 101,
    );
  });

  test('a proxy started later loads the bans in force', async () => {
    const [a] = edges as [ProxyUnderTest];
    for (let i = 0; i < 2; i++) await upgradeAnswer(a.proxy.httpsPort, `/ocpp/${id}`, { password: WRONG });
    const late = await startProxyUnderTest({
      upstream: [backend.httpUrl],
      tls: 'self-signed',
      'bans-store': 'redis',
      redis: REDIS_URL,
    });
    edges.push(late);
    await waitFor(
      'the late proxy to refuse the id',
      async () => (await upgradeAnswer(late.proxy.httpsPort, `/ocpp/${id}`, { password: PASSWORD })).status === 429,
    );
    await fetch(`http://127.0.0.1:${late.proxy.metricsPort}/bans/${id}`, { method: 'DELETE' });
  });
});
