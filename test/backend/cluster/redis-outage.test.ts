// Redis stopped mid-test and started again (same port, empty, as after a restart without persistence): each
// backend keeps serving the chargers it holds and their commands, answers at once (503) for chargers held
// elsewhere instead of hanging, reports `redis: down` (degraded, 200) on /health and 0 in ocpp_edge_redis_up; when
// Redis is back every instance re-registers its chargers, and a charger that moved during the outage keeps only
// its newest connection.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RPCClient } from 'ocpp-rpc';
import { startTestBackend, type TestBackend } from '../../support/backend-instance.js';
import { connectCharger } from '../../support/ocpp-chargers.js';
import { startRedis, type TestRedis } from '../../support/redis-server.js';
import { createStorage, type StorageTarget } from '../../support/storage-targets.js';
import { waitFor } from '../../support/waiting.js';
import { missingServices } from '../../support/cluster/services.js';

const skip = await missingServices();

describe('Redis going away and coming back', { skip }, () => {
  let redis: TestRedis;
  let storage: StorageTarget;
  let backends: TestBackend[] = [];
  const chargers: RPCClient[] = [];

  const charger = async (backend: TestBackend, identity: string) => {
    const client = await connectCharger(backend.ocppUrl, identity);
    client.handle('Reset', async () => ({ status: 'Accepted' }));
    chargers.push(client);
    return client;
  };
  const listed = async (backend: TestBackend) =>
    Object.fromEntries(
      (await backend.api('GET', '/api/charge-points')).body.map((row: { id: string; connected: boolean }) => [
        row.id,
        row.connected,
      ]),
    );
  const redisUpMetric = async (backend: TestBackend) =>
    /^ocpp_edge_redis_up\{[^}]*\} (\d)$/m.exec(await backend.metrics())?.[1];
  /** The answer and how long it took. */
  const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
    const started = performance.now();
    const result = await work();
    return [result, performance.now() - started];
  };

  before(async (t) => {
    redis = await startRedis();
    storage = (await createStorage('postgres', t as never))!;
    backends = [];
    for (let i = 0; i < 2; i++)
      backends.push(
        await startTestBackend({ database: storage.url, redis: redis.url, 'presence-lease': 2, 'call-timeout': 2 }),
      );
  });
  after(async () => {
    await Promise.allSettled(chargers.map((client) => client.close({ force: true })));
    await Promise.allSettled(backends.map((backend) => backend.stop()));
    await storage?.cleanup();
    await redis?.stop();
  });

  it('keeps serving local chargers while Redis is down and re-registers them when it returns', async () => {
    const [b0, b1] = backends;
    await charger(b0, 'CP-R0');
    await charger(b1, 'CP-R1');
    const moving = await charger(b0, 'CP-MOVE');
    await waitFor(
      'presence before the outage',
      async () => {
        const list = await listed(b0);
        return list['CP-R0'] && list['CP-R1'] && list['CP-MOVE'];
      },
      { timeoutMs: 3000 },
    );

    await redis.stop();
    for (const backend of backends) {
      await waitFor(
        '/health to report redis down',
        async () => (await backend.api('GET', '/health', undefined, null)).body.redis?.status === 'down',
        { timeoutMs: 3000 },
      );
      const [health, ms] = await timed(() => backend.api('GET', '/health', undefined, null));
      assert.equal(health.status, 200, 'degraded, not unavailable');
      assert.equal(health.body.status, 'degraded');
      assert.equal(health.body.storage.status, 'up');
      assert.ok(ms < 1500, `/health answers promptly while Redis is down (${ms.toFixed(0)} ms)`);
      assert.equal(await redisUpMetric(backend), '0');
    }

    // Its own chargers: OCPP and commands as usual, without waiting for Redis.
    const owner = chargers[0];
    const start = (await owner.call('StartTransaction', {
      connectorId: 1,
      idTag: 'RFID',
      meterStart: 0,
      timestamp: new Date().toISOString(),
    })) as { transactionId: number };
    assert.ok(start.transactionId > 0);
    const [local, localMs] = await timed(() => b0.api('POST', '/api/charge-points/CP-R0/reset', { type: 'Soft' }));
    assert.equal(local.status, 200);
    assert.ok(localMs < 1000, `local command answered at once (${localMs.toFixed(0)} ms)`);
    // A charger held by the other instance: 503 at once, never a hang.
    const [remote, remoteMs] = await timed(() => b0.api('POST', '/api/charge-points/CP-R1/reset', { type: 'Soft' }));
    assert.equal(remote.status, 503);
    assert.equal(remote.body.error, 'ClusterUnavailable');
    assert.ok(remoteMs < 1000, `503 at once (${remoteMs.toFixed(0)} ms)`);
    // Lists show what this instance knows: its own chargers.
    const degradedList = await listed(b0);
    assert.equal(degradedList['CP-R0'], true);
    assert.equal(degradedList['CP-R1'], false);

    // An instance (re)starting during the outage does not wait for Redis, and serves its chargers.
    const [late, startupMs] = await timed(() =>
      startTestBackend({ database: storage.url, redis: redis.url, 'presence-lease': 2, 'call-timeout': 2 }),
    );
    backends.push(late);
    assert.ok(startupMs < 2000, `started without Redis in ${startupMs.toFixed(0)} ms`);
    assert.equal((await late.api('GET', '/health', undefined, null)).body.status, 'degraded');
    await charger(late, 'CP-LATE');
    assert.equal((await late.api('POST', '/api/charge-points/CP-LATE/reset', { type: 'Soft' })).status, 200);

    // New chargers are accepted meanwhile; one charger moves from b0 to b1 (b0 cannot be told).
    await charger(b1, 'CP-NEW');
    const moved = await charger(b1, 'CP-MOVE');
    const oldClosed = new Promise<{ code: number; reason: string }>((resolve) => moving.once('close', resolve));
    let answeredBy = '';
    moving.handle('GetLocalListVersion', async () => {
      answeredBy = 'old';
      return { listVersion: 1 };
    });
    moved.handle('GetLocalListVersion', async () => {
      answeredBy = 'new';
      return { listVersion: 2 };
    });

    await redis.start();
    const restartedAt = Date.now();
    for (const backend of backends) {
      await waitFor(
        '/health back to ok',
        async () => (await backend.api('GET', '/health', undefined, null)).body.status === 'ok',
        { timeoutMs: 5000 },
      );
      assert.equal(await redisUpMetric(backend), '1');
    }
    await waitFor(
      'presence re-registered',
      async () => {
        const list = await listed(b0);
        return list['CP-R0'] && list['CP-R1'] && list['CP-NEW'] && list['CP-MOVE'] && list['CP-LATE'];
      },
      { timeoutMs: 5000 },
    );
    console.log(`redis restarted: presence of every instance re-registered ${Date.now() - restartedAt} ms later`);

    // Only the newest connection of the moved charger survives, and commands reach it from either instance.
    const { code, reason } = await Promise.race([
      oldClosed,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('old connection still open')), 5000)),
    ]);
    assert.equal(code, 1000);
    assert.equal(String(reason), 'Replaced by a new connection');
    for (const backend of backends) {
      const response = await backend.api('POST', '/api/charge-points/CP-MOVE/call', {
        action: 'GetLocalListVersion',
        payload: {},
      });
      assert.deepEqual(response.body, { listVersion: 2 });
      assert.equal(answeredBy, 'new');
    }
    for (const identity of ['CP-NEW', 'CP-LATE']) {
      const crossed = await b0.api('POST', `/api/charge-points/${identity}/reset`, { type: 'Soft' });
      assert.equal(crossed.status, 200);
      assert.deepEqual(crossed.body, { status: 'Accepted' });
    }
  });
});
