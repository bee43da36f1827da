// The scale-out topology of docs/SCALING.md as a whole, end to end: a private Redis, a fresh PostgreSQL schema,
// three backend processes (CLI, --redis, a 2 s presence lease), two proxies (in this process, TLS with a test CA,
// all three backends as --upstream, active checks every 0.5 s) and twelve chargers (ocpp-rpc over wss, reconnect
// on, short back-off) spread over both proxies. The pieces have their own suites (routing, crash, upstream pool);
// this file proves they hold together:
//
//   1. the chargers end up on all three backends, and every backend's GET /api/charge-points shows all of them
//      connected;
//   2. a command sent through each proxy's /api/ and to each backend directly reaches chargers held by the other
//      backends, and the charger's own answer comes back;
//   3. kill -9 of one backend: its chargers reconnect through their proxies to the survivors, its presence is gone
//      within the lease, commands to the moved chargers work again, and both proxies' metrics show it out of the
//      pool;
//   4. at every point, one connection per charge point cluster-wide.

import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RPCClient } from 'ocpp-rpc';
import { keys } from '../../../backend/cluster/keys.js';
import { parseHolder } from '../../../backend/cluster/presence.js';
import { API_TOKEN, type ApiResponse } from '../../support/backend-instance.js';
import {
  makeTempDir,
  metricValue,
  scrapeMetrics,
  startProxyUnderTest,
  type ProxyUnderTest,
} from '../../support/proxy-under-test.js';
import { startRedis, type TestRedis } from '../../support/redis-server.js';
import { createStorage, type StorageTarget } from '../../support/storage-targets.js';
import { createTestCa, issueCertificate, writeCertificateFiles } from '../../support/test-certificates.js';
import { waitFor } from '../../support/waiting.js';
import { missingServices } from '../../support/cluster/services.js';
import { spawnBackend, type SpawnedBackend } from '../../support/cluster/spawned-backend.js';

const skip = await missingServices();
const LEASE_SECONDS = 2;
const CHARGERS_PER_PROXY = 6;

interface Charger {
  id: string;
  client: RPCClient;
  /** Index of the proxy it connects through. */
  proxy: number;
  /** Times of its successful (re)connections. */
  opens: number[];
  /** GetConfiguration calls it answered. */
  answered: number;
}

interface ChargePointView {
  id: string;
  connected: boolean;
}

describe('the scale-out topology: 3 backends, 2 proxies, 12 chargers, Redis and PostgreSQL', {
  skip,
  concurrency: false,
  timeout: 60_000,
}, () => {
  let redis: TestRedis | undefined;
  let storage: StorageTarget | undefined;
  let certDir: string | undefined;
  let caPem = '';
  let presenceReader: Redis | undefined;
  const backends: SpawnedBackend[] = [];
  /** Each backend's Redis instance id, by backend index. */
  const instanceIds: string[] = [];
  const proxies: ProxyUnderTest[] = [];
  const chargers: Charger[] = [];
  const numbers: Record<string, number | string> = {};

  /** REST through a proxy's /api/, over TLS, trusting only the test CA. */
  const viaProxy = (proxy: ProxyUnderTest, method: string, route: string, body?: unknown): Promise<ApiResponse> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers: Record<string, string> = { authorization: `Bearer ${API_TOKEN}` };
      if (payload !== undefined) headers['content-type'] = 'application/json';
      const request = https.request(
        {
          host: '127.0.0.1',
          port: proxy.proxy.httpsPort,
          servername: 'localhost',
          path: route,
          method,
          headers,
          ca: caPem,
          agent: false,
          timeout: 10_000,
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => {
            let parsed: unknown = text;
            try {
              parsed = text === '' ? undefined : JSON.parse(text);
            } catch {
              // not JSON: keep the text
            }
            resolve({
              status: response.statusCode ?? 0,
              body: parsed,
              headers: new Headers(response.headers as Record<string, string>),
            });
          });
          response.on('error', reject);
        },
      );
      request.on('timeout', () =>
        request.destroy(new Error(`no answer to ${method} ${route} through the proxy in time`)),
      );
      request.on('error', reject);
      request.end(payload);
    });

  /** The presence hash as stored: charge point → instance id. */
  const presence = async (): Promise<Map<string, string>> => {
    const entries = await presenceReader!.hgetall(keys.presence);
    return new Map(Object.entries(entries).map(([id, value]) => [id, parseHolder(value)!.instanceId]));
  };
  const health = async (backend: SpawnedBackend) =>
    (await backend.api('GET', '/health')).body as {
      status: string;
      connectedChargePoints: number;
      redis: { status: string; instanceId: string };
    };
  const connectedList = (response: ApiResponse) =>
    (response.body as ChargePointView[]).map((row) => [row.id, row.connected]);
  const allConnected = () => chargers.map((charger) => [charger.id, true]).sort();
  const live = () => backends.filter((backend) => backend.child.exitCode === null && backend.child.signalCode === null);
  const upstreamGauge = async (proxy: ProxyUnderTest, name: string, backend: SpawnedBackend) =>
    metricValue(await scrapeMetrics(proxy.proxy), name, { upstream: backend.httpUrl });

  /** GetConfiguration through `send`: the charger's answer names the charger, so it came from the right one. */
  const getIdentity = async (
    send: (route: string, body: unknown) => Promise<ApiResponse>,
    charger: Charger,
    via: string,
  ) => {
    const before = charger.answered;
    const response = await send(`/api/charge-points/${charger.id}/configuration`, {
      operation: 'get',
      keys: ['ChargePointIdentity'],
    });
    assert.equal(response.status, 200, `${charger.id} via ${via}: ${JSON.stringify(response.body)}`);
    assert.deepEqual(
      response.body,
      { configurationKey: [{ key: 'ChargePointIdentity', readonly: true, value: charger.id }] },
      `${charger.id} via ${via}`,
    );
    assert.equal(charger.answered, before + 1, `${charger.id} itself answered (via ${via})`);
  };

  const routedAnswered = async () => {
    let total = 0;
    for (const backend of live())
      total +=
        metricValue(await (await fetch(backend.metricsUrl)).text(), 'ocpp_edge_routed_commands_total', {
          outcome: 'answered',
        }) ?? 0;
    return total;
  };

  /** One connection per charge point, cluster-wide, in every place that counts them. */
  const assertOneConnectionEach = async (where: string) => {
    const stored = await presence();
    assert.deepEqual(
      [...stored.keys()].sort(),
      chargers.map((charger) => charger.id).sort(),
      `${where}: one presence entry per charger`,
    );
    const liveIds = new Set(live().map((backend) => instanceIds[backends.indexOf(backend)]));
    for (const [id, holder] of stored)
      assert.ok(liveIds.has(holder), `${where}: ${id} held by a live instance (${holder})`);
    // Sockets the backends hold: exactly one per charger, and each where presence says.
    const healths = await Promise.all(live().map(health));
    assert.equal(
      healths.reduce((sum, entry) => sum + entry.connectedChargePoints, 0),
      chargers.length,
      `${where}: sockets held by the backends`,
    );
    for (const entry of healths) {
      assert.equal(entry.status, 'ok', `${where}: ${entry.redis.instanceId} healthy`);
      assert.equal(entry.redis.status, 'up');
      assert.equal(
        entry.connectedChargePoints,
        [...stored.values()].filter((holder) => holder === entry.redis.instanceId).length,
        `${where}: ${entry.redis.instanceId} holds what presence says`,
      );
    }
    // Sessions the proxies have open: each proxy exactly its own chargers, none left on a dead upstream.
    for (const [index, proxy] of proxies.entries()) {
      let sessions = 0;
      for (const backend of backends)
        sessions += (await upstreamGauge(proxy, 'ocpp_edge_upstream_ws_sessions', backend)) ?? 0;
      assert.equal(
        sessions,
        chargers.filter((charger) => charger.proxy === index).length,
        `${where}: WebSocket sessions open through proxy ${index}`,
      );
    }
    // And every charger is connected.
    for (const charger of chargers) assert.equal(charger.client.state, RPCClient.OPEN, `${where}: ${charger.id} open`);
  };

  before(async (t) => {
    redis = await startRedis();
    storage = (await createStorage('postgres', t as never))!;
    presenceReader = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await presenceReader.connect();

    // Three backend processes started together on the empty schema (one migrates, the others wait on its lock).
    backends.push(
      ...(await Promise.all(
        [0, 1, 2].map(() =>
          spawnBackend({
            database: storage!.url,
            redis: redis!.url,
            'presence-lease': LEASE_SECONDS,
            'call-timeout': 5,
          }),
        ),
      )),
    );
    for (const backend of backends) instanceIds.push((await health(backend)).redis.instanceId);
    assert.equal(new Set(instanceIds).size, 3);

    // Two proxies, each with the whole pool, serving a certificate for localhost/127.0.0.1 from a test CA.
    certDir = await makeTempDir('ocpp-edge-topology-certs-');
    const ca = await createTestCa();
    caPem = ca.certPem;
    const files = await writeCertificateFiles(
      certDir,
      'localhost',
      await issueCertificate(ca, ['localhost', '127.0.0.1']),
    );
    const flags = {
      upstream: backends.map((backend) => backend.httpUrl),
      domain: ['localhost'],
      cert: [files.certFile],
      key: [files.keyFile],
      'health-interval': 0.5,
      'health-timeout': 1,
    };
    proxies.push(...(await Promise.all([startProxyUnderTest(flags), startProxyUnderTest(flags)])));
  });

  after(async () => {
    // Closing stops the reconnection loops; then the proxies, the backends, the schema, Redis, the files.
    await Promise.allSettled(chargers.map((charger) => charger.client.close({ force: true, awaitPending: false })));
    await Promise.allSettled(proxies.map((proxy) => proxy.close()));
    await Promise.allSettled(backends.map((backend) => backend.kill()));
    presenceReader?.disconnect();
    await storage?.cleanup().catch((error: Error) => process.stderr.write(`schema cleanup failed: ${error.message}\n`));
    await redis?.stop();
    if (certDir) await rm(certDir, { recursive: true, force: true });
    if (Object.keys(numbers).length > 0) console.log(`topology numbers: ${JSON.stringify(numbers)}`);
  });

  it('spreads the chargers over all three backends; every backend lists them all as connected', {
    timeout: 15_000,
  }, async () => {
    // Both proxies at once, each connecting its own chargers one after the other (least connections decides).
    await Promise.all(
      proxies.map(async (proxy, proxyIndex) => {
        for (let n = 1; n <= CHARGERS_PER_PROXY; n++) {
          const id = `CP-P${proxyIndex}-${n}`;
          const client = new RPCClient({
            endpoint: `wss://127.0.0.1:${proxy.proxy.httpsPort}/ocpp`,
            identity: id,
            protocols: ['ocpp1.6'],
            strictMode: true,
            reconnect: true,
            backoff: { initialDelay: 50, maxDelay: 400, factor: 2, randomisationFactor: 0.25 },
            callTimeoutMs: 5000,
            wsOpts: { ca: caPem },
          } as ConstructorParameters<typeof RPCClient>[0]);
          const charger: Charger = { id, client, proxy: proxyIndex, opens: [], answered: 0 };
          client.on('open', () => charger.opens.push(Date.now()));
          client.handle('GetConfiguration', async () => {
            charger.answered++;
            return { configurationKey: [{ key: 'ChargePointIdentity', readonly: true, value: id }] };
          });
          chargers.push(charger);
          await client.connect();
        }
      }),
    );

    await waitFor('every charger in presence', async () => (await presence()).size === chargers.length, {
      timeoutMs: 3000,
    });
    const stored = await presence();
    const perBackend = instanceIds.map(
      (instanceId) => [...stored.values()].filter((holder) => holder === instanceId).length,
    );
    numbers.chargersPerBackend = perBackend.join('/');
    // Least connections per proxy: 6 sessions over 3 equal upstreams are 2 each, so 4 per backend over both.
    assert.deepEqual(perBackend, [4, 4, 4], `chargers per backend: ${perBackend.join('/')}`);
    for (const [index, backend] of backends.entries())
      assert.equal((await health(backend)).connectedChargePoints, perBackend[index]);

    // The same answer on every backend, and through both proxies.
    for (const backend of backends)
      assert.deepEqual(connectedList(await backend.api('GET', '/api/charge-points')), allConnected());
    for (const proxy of proxies) {
      const listed = await viaProxy(proxy, 'GET', '/api/charge-points');
      assert.equal(listed.status, 200);
      assert.deepEqual(connectedList(listed), allConnected());
    }
    await assertOneConnectionEach('after connecting');
  });

  // About a hundred commands in sequence, each with the three backends' counters read around it: a bound for a
  // loaded machine, not a speed target.
  it('routes a command sent to any backend, or through either proxy, to the charger wherever it is held', {
    timeout: 60_000,
  }, async () => {
    const stored = await presence();
    const routedBefore = await routedAnswered();
    // Directly to each backend: every charger another backend holds (8 per backend, 24 routed calls).
    for (const [index, backend] of backends.entries()) {
      for (const charger of chargers.filter((candidate) => stored.get(candidate.id) !== instanceIds[index])) {
        await getIdentity((route, body) => backend.api('POST', route, body), charger, `backend ${index}`);
      }
    }
    const routedDirect = (await routedAnswered()) - routedBefore;
    assert.equal(routedDirect, 24, 'each of those commands crossed Redis to the holding instance');

    // Through each proxy: HTTP goes round robin over the backends. 12 requests a round would send each charger's
    // command to the same backend every round, so one extra request shifts the rotation between rounds: over three
    // rounds each charger is asked through all three backends, two of them not its holder. The routed-commands
    // counters, read around each request, say which requests crossed Redis.
    let routedViaProxies = 0;
    for (const [index, proxy] of proxies.entries()) {
      const routedFor = new Map(chargers.map((charger) => [charger.id, 0]));
      for (let round = 0; round < 3; round++) {
        assert.equal((await viaProxy(proxy, 'GET', '/api/')).status, 200);
        for (const charger of chargers) {
          const before = await routedAnswered();
          await getIdentity((route, body) => viaProxy(proxy, 'POST', route, body), charger, `proxy ${index}`);
          const routed = (await routedAnswered()) - before;
          routedFor.set(charger.id, routedFor.get(charger.id)! + routed);
          routedViaProxies += routed;
        }
      }
      for (const [id, routed] of routedFor)
        assert.ok(
          routed >= 1,
          `a command through proxy ${index} reached ${id} from a backend not holding it (${routed} of 3)`,
        );
    }
    numbers.routedViaProxies = `${routedViaProxies} of ${2 * 3 * chargers.length}`;
  });

  it('after kill -9 of a backend, its chargers reconnect through their proxies to the survivors and answer again', {
    timeout: 20_000,
  }, async () => {
    const doomedIndex = 1;
    const doomed = backends[doomedIndex];
    const doomedId = instanceIds[doomedIndex];
    const stored = await presence();
    const movers = chargers.filter((charger) => stored.get(charger.id) === doomedId);
    const stayers = chargers.filter((charger) => stored.get(charger.id) !== doomedId);
    assert.equal(movers.length, 4);

    const opensBefore = new Map(chargers.map((charger) => [charger.id, charger.opens.length]));
    await doomed.kill();
    const killedAt = Date.now();

    // Watched in parallel from the kill on: both proxies take it out of their pool (active checks every 0.5 s, or
    // passively when a reconnecting charger's upgrade is refused by it).
    const takenOut = Promise.all(
      proxies.map(async (proxy) => {
        await waitFor(
          'the dead upstream to read 0',
          async () => (await upstreamGauge(proxy, 'ocpp_edge_upstream_healthy', doomed)) === 0,
          { timeoutMs: 3000, intervalMs: 10 },
        );
        return Date.now() - killedAt;
      }),
    );
    takenOut.catch(() => {}); // awaited below

    // The moved chargers reconnect on their own (ocpp-rpc back-off 50–400 ms), through the same proxy.
    await waitFor(
      "the killed backend's chargers to reconnect",
      () => movers.every((charger) => charger.opens.length > opensBefore.get(charger.id)!),
      { timeoutMs: 8000, intervalMs: 5 },
    );
    numbers.reconnectFirstMs = Math.min(...movers.map((charger) => charger.opens.at(-1)! - killedAt));
    numbers.reconnectAllMs = Math.max(...movers.map((charger) => charger.opens.at(-1)! - killedAt));

    // Presence: the moved chargers are claimed by survivors; the dead instance holds nothing and its lease expires.
    const survivors = instanceIds.filter((id) => id !== doomedId);
    await waitFor(
      'presence to name only survivors',
      async () => {
        const now = await presence();
        return now.size === chargers.length && [...now.values()].every((holder) => survivors.includes(holder));
      },
      { timeoutMs: 3000, intervalMs: 5 },
    );
    numbers.presenceMovedMs = Date.now() - killedAt;
    await waitFor(
      "the dead instance's lease to expire",
      async () => (await presenceReader!.exists(keys.instance(doomedId))) === 0,
      { timeoutMs: (LEASE_SECONDS + 1) * 1000, intervalMs: 10 },
    );
    const leaseGoneMs = Date.now() - killedAt;
    numbers.leaseExpiredMs = leaseGoneMs;
    assert.ok(
      leaseGoneMs <= LEASE_SECONDS * 1000 + 500,
      `lease gone within the ${LEASE_SECONDS} s lease (${leaseGoneMs} ms)`,
    );

    // Both proxies took it out of their pool, and only it.
    numbers.upstreamOutMs = (await takenOut).join('/');
    for (const proxy of proxies) {
      assert.equal(await upstreamGauge(proxy, 'ocpp_edge_upstream_healthy', doomed), 0);
      for (const backend of live()) assert.equal(await upstreamGauge(proxy, 'ocpp_edge_upstream_healthy', backend), 1);
    }

    // Every survivor (and both proxies) lists all twelve connected again.
    for (const backend of live())
      assert.deepEqual(connectedList(await backend.api('GET', '/api/charge-points')), allConnected());
    for (const proxy of proxies)
      assert.deepEqual(connectedList(await viaProxy(proxy, 'GET', '/api/charge-points')), allConnected());

    // Commands to the moved chargers work again, from each survivor and through each proxy.
    for (const [index, backend] of backends.entries()) {
      if (index === doomedIndex) continue;
      for (const charger of movers)
        await getIdentity(
          (route, body) => backend.api('POST', route, body),
          charger,
          `backend ${index} after the kill`,
        );
    }
    for (const [index, proxy] of proxies.entries()) {
      for (const charger of movers)
        await getIdentity(
          (route, body) => viaProxy(proxy, 'POST', route, body),
          charger,
          `proxy ${index} after the kill`,
        );
    }

    // The others never noticed: one connection each since the start; the moved ones exactly one reconnection.
    for (const charger of stayers)
      assert.equal(charger.opens.length, opensBefore.get(charger.id), `${charger.id} stayed connected`);
    for (const charger of movers)
      assert.equal(charger.opens.length, opensBefore.get(charger.id)! + 1, `${charger.id} reconnected once`);
    await assertOneConnectionEach('after the kill');
    const spread = live().map((backend) => instanceIds[backends.indexOf(backend)]);
    const now = await presence();
    numbers.chargersPerSurvivor = spread
      .map((instanceId) => [...now.values()].filter((holder) => holder === instanceId).length)
      .join('/');
  });
});
