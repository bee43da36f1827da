// Two backend processes on one PostgreSQL and one Redis, simulated chargers on both: one instance decides for the
// charging group (its Redis lease) and it alone pushes profiles; killed (SIGKILL: no shutdown, no release), the
// other takes the group over once the lease lapses and divides the next change of limit itself.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { keys } from '../../../backend/cluster/keys.js';
import { metricValue } from '../../support/proxy-under-test.js';
import { missingServices } from '../../support/cluster/services.js';
import { spawnBackend, type SpawnedBackend } from '../../support/cluster/spawned-backend.js';
import { startRedis, type TestRedis } from '../../support/redis-server.js';
import { startSimulatedCharger, type TestSimulatedCharger } from '../../support/simulated-charger.js';
import { createStorage, type StorageTarget } from '../../support/storage-targets.js';
import { waitFor } from '../../support/waiting.js';

const skip = await missingServices();
// Long enough that a loaded machine's event-loop stalls do not hand the lease over mid-test (the takeover after
// a SIGKILL is what this test proves, not the renewal's timing).
const LEASE_SECONDS = 4;

describe('charging groups on two backends (PostgreSQL and Redis)', { skip, timeout: 90_000 }, () => {
  let redis: TestRedis | undefined;
  let storage: StorageTarget | undefined;
  let reader: Redis | undefined;
  const backends: SpawnedBackend[] = [];
  const sims: TestSimulatedCharger[] = [];

  before(async (t) => {
    redis = await startRedis();
    storage = (await createStorage('postgres', t as never))!;
    reader = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await reader.connect();
    backends.push(
      ...(await Promise.all(
        [0, 1].map(() =>
          spawnBackend({
            database: storage!.url,
            redis: redis!.url,
            'presence-lease': 2,
            'group-lease': LEASE_SECONDS,
            'group-rebalance-interval': 0.3,
            'after-boot-delay': 0.05,
            'call-timeout': 5,
          }),
        ),
      )),
    );
  });

  after(async () => {
    await Promise.allSettled(sims.map((sim) => sim.stop()));
    await Promise.allSettled(backends.map((backend) => backend.kill()));
    reader?.disconnect();
    await storage?.cleanup().catch(() => undefined);
    await redis?.stop();
  });

  it('one instance pushes the profiles; the other takes the group over when it dies', async () => {
    const [first, second] = backends as [SpawnedBackend, SpawnedBackend];
    // Two chargers on each backend.
    for (const [index, backend] of [first, first, second, second].entries())
      sims.push(await startSimulatedCharger(backend.ocppUrl, `CP-LEASE-${index + 1}`));
    assert.equal((await first.api('POST', '/api/charging-groups', { id: 'feeder', limit: 24, unit: 'A' })).status, 201);
    for (const sim of sims) {
      const id = sim.charger.identity;
      assert.equal((await first.api('PUT', `/api/charging-groups/feeder/members/${id}`)).status, 200);
      await first.api('PUT', `/api/id-tags/T-${id}`, {});
      // Started through the first backend, whichever holds the charger (routed through Redis).
      const started = await first.api('POST', `/api/charge-points/${id}/remote-start`, { idTag: `T-${id}` });
      assert.equal(started.body.status, 'Accepted', JSON.stringify(started.body));
    }
    await waitFor('6 A each', () => sims.every((sim) => sim.charger.currentLimitA() === 6), { timeoutMs: 15_000 });

    const metrics = async (backend: SpawnedBackend) => (await fetch(backend.metricsUrl)).text();
    const leads = async (backend: SpawnedBackend) =>
      metricValue(await metrics(backend), 'ocpp_edge_group_leader', { group: 'feeder' });
    const leaderOf = () => Promise.all(backends.map(leads));
    const roles = await waitFor('one leader, one follower', async () => {
      const value = await leaderOf();
      return value.includes(1) && value.includes(0) ? value : undefined;
    });
    const leader = roles[0] === 1 ? first : second;
    const follower = leader === first ? second : first;
    const pushes = async (backend: SpawnedBackend) =>
      metricValue(await metrics(backend), 'ocpp_edge_group_profile_pushes_total', {
        group: 'feeder',
        result: 'Accepted',
      }) ?? 0;
    assert.ok((await pushes(leader)) >= 8, 'the leader pushed the defaults and the four TxProfiles');
    assert.equal(await pushes(follower), 0, 'the other pushed nothing');
    const holder = await reader!.get(keys.groupLease('feeder'));
    const health = (await leader.api('GET', '/health')).body as { redis: { instanceId: string } };
    assert.equal(holder, health.redis.instanceId, 'the lease in Redis names the leader');

    // The leader dies without a word. Its chargers lose their backend; the other takes the group over.
    await leader.kill();
    await waitFor('the follower leads', async () => (await leads(follower)) === 1, {
      timeoutMs: 10_000 + LEASE_SECONDS * 1000,
    });
    const raised = await follower.api('PUT', '/api/charging-groups/feeder', { limit: 40 });
    assert.equal(raised.status, 200, JSON.stringify(raised.body));
    const survivors = sims.filter((_, index) => (follower === first ? index < 2 : index >= 2));
    // 40 A over four sessions: 10 A each (the dead backend's two keep what they held, within the limit).
    await waitFor('the survivors raised to 10 A', () => survivors.every((sim) => sim.charger.currentLimitA() === 10), {
      timeoutMs: 10_000,
    });
    assert.ok((await pushes(follower)) >= 2, 'the new leader pushed them');
  });
});
