// kill -9 of a backend process: nothing of it runs any more (no shutdown, no clean-up), yet within one presence
// lease its chargers stop showing as connected on the survivors, commands for them get 409 at once (not a 504
// after the call timeout), and when they reconnect through a survivor — as the proxy sends them — they are
// served there. A graceful stop (SIGTERM) removes its presence at once.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RPCClient } from 'ocpp-rpc';
import { connectCharger } from '../../support/ocpp-chargers.js';
import { startRedis, type TestRedis } from '../../support/redis-server.js';
import { createStorage, type StorageTarget } from '../../support/storage-targets.js';
import { waitFor } from '../../support/waiting.js';
import { missingServices } from '../../support/cluster/services.js';
import { spawnBackend, type SpawnedBackend } from '../../support/cluster/spawned-backend.js';

const skip = await missingServices();
const LEASE_SECONDS = 2;

describe('a backend process killed with SIGKILL', { skip }, () => {
  let redis: TestRedis;
  let storage: StorageTarget;
  const backends: SpawnedBackend[] = [];
  const chargers: RPCClient[] = [];

  const start = async (leaseSeconds = LEASE_SECONDS) => {
    const backend = await spawnBackend({
      database: storage.url,
      redis: redis.url,
      'presence-lease': leaseSeconds,
      'call-timeout': 5,
    });
    backends.push(backend);
    return backend;
  };
  const charger = async (backend: SpawnedBackend, identity: string) => {
    const client = await connectCharger(backend.ocppUrl, identity);
    client.handle('Reset', async () => ({ status: 'Accepted' }));
    chargers.push(client);
    return client;
  };
  const connectedOn = async (backend: SpawnedBackend, identity: string) =>
    (await backend.api('GET', `/api/charge-points/${identity}`)).body?.connected === true;

  before(async (t) => {
    redis = await startRedis();
    storage = (await createStorage('postgres', t as never))!;
  });
  after(async () => {
    await Promise.allSettled(chargers.map((client) => client.close({ force: true })));
    await Promise.allSettled(backends.map((backend) => backend.kill()));
    await storage?.cleanup();
    await redis?.stop();
  });

  it('drops its chargers from presence within the lease; they are served again after reconnecting to a survivor', async () => {
    const [doomed, survivor] = await Promise.all([start(), start()]);
    await charger(doomed, 'CP-K1');
    await charger(doomed, 'CP-K2');
    await charger(survivor, 'CP-S');
    await waitFor(
      "presence of the doomed instance's chargers",
      async () => (await connectedOn(survivor, 'CP-K1')) && (await connectedOn(survivor, 'CP-K2')),
      { timeoutMs: 3000 },
    );

    await doomed.kill();
    const killedAt = Date.now();
    // Its inbox has no subscriber any more: a routed command fails at once with 409, not after the call timeout.
    const command = await survivor.api('POST', '/api/charge-points/CP-K1/reset', { type: 'Soft' });
    assert.equal(command.status, 409);
    assert.ok(
      Date.now() - killedAt < 2000,
      `409 at once, not after the 5 s call timeout (${Date.now() - killedAt} ms)`,
    );

    await waitFor(
      'presence to expire',
      async () => !(await connectedOn(survivor, 'CP-K1')) && !(await connectedOn(survivor, 'CP-K2')),
      { timeoutMs: (LEASE_SECONDS + 2) * 1000 },
    );
    const noticedMs = Date.now() - killedAt;
    console.log(
      `presence lease ${LEASE_SECONDS} s: a killed instance's chargers shown disconnected ${noticedMs} ms after kill -9`,
    );
    // At most one lease after the last renewal; the margin is the polling.
    assert.ok(noticedMs <= LEASE_SECONDS * 1000 + 1000, `within the lease (${noticedMs} ms)`);
    const list = (await survivor.api('GET', '/api/charge-points')).body.map(
      (row: { id: string; connected: boolean }) => [row.id, row.connected],
    );
    assert.deepEqual(list, [
      ['CP-K1', false],
      ['CP-K2', false],
      ['CP-S', true],
    ]);

    // The charger reconnects (through the proxy) to the survivor.
    await charger(survivor, 'CP-K1');
    assert.equal(await connectedOn(survivor, 'CP-K1'), true);
    const again = await survivor.api('POST', '/api/charge-points/CP-K1/reset', { type: 'Soft' });
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, { status: 'Accepted' });
  });

  it("a graceful stop (SIGTERM) removes the instance's presence at once", async () => {
    // A lease far longer than the test: only the deregistration at shutdown can make the charger disappear.
    const [leaving, staying] = await Promise.all([start(60), start(60)]);
    const client = await charger(leaving, 'CP-G');
    const closed = new Promise<{ code: number }>((resolve) => client.once('close', resolve));
    await waitFor('CP-G presence', () => connectedOn(staying, 'CP-G'), { timeoutMs: 3000 });
    await leaving.stop();
    assert.equal(leaving.child.exitCode, 0);
    assert.equal((await closed).code, 1001);
    assert.equal(await connectedOn(staying, 'CP-G'), false);
  });
});
