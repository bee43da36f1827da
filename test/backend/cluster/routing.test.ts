// Three backends sharing one PostgreSQL schema and one Redis, chargers spread across them: every instance lists
// the same charge points, a command sent through any instance reaches a charger held by another and answers with
// the statuses one instance gives (200, 502, 504, 409, 404), a charger reconnecting elsewhere loses its old
// connection, and transaction ids stay unique across instances.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRPCError, type RPCClient } from 'ocpp-rpc';
import pg from 'pg';
import { LatencyHistogram } from '../../../common/latency-histogram.js';
import { startTestBackend, type TestBackend } from '../../support/backend-instance.js';
import { connectCharger } from '../../support/ocpp-chargers.js';
import { startRedis, type TestRedis } from '../../support/redis-server.js';
import { createStorage, type StorageTarget } from '../../support/storage-targets.js';
import { waitFor } from '../../support/waiting.js';
import { missingServices } from '../../support/cluster/services.js';

const skip = await missingServices();

describe('several backends on one PostgreSQL and one Redis', { skip }, () => {
  let redis: TestRedis;
  let storage: StorageTarget;
  let backends: TestBackend[] = [];
  const logs: Array<Array<Record<string, unknown>>> = [[], [], []];
  const chargers: RPCClient[] = [];
  /** Calls each charger received, by identity. */
  const received = new Map<string, string[]>();

  async function charger(backend: TestBackend, identity: string): Promise<RPCClient> {
    const client = await connectCharger(backend.ocppUrl, identity);
    chargers.push(client);
    client.handle('Reset', async () => {
      received.set(identity, [...(received.get(identity) ?? []), 'Reset']);
      return { status: 'Accepted' };
    });
    client.handle('CancelReservation', async () => {
      throw createRPCError('NotSupported', 'no reservations here');
    });
    client.handle('SetChargingProfile', () => new Promise(() => {})); // never answers
    return client;
  }

  const connectedOn = async (backend: TestBackend, identity: string) =>
    (await backend.api('GET', `/api/charge-points/${identity}`)).body?.connected === true;

  before(async (t) => {
    redis = await startRedis();
    storage = (await createStorage('postgres', t as never))!;
    // Started together on a fresh schema: the migrations must run once, the others waiting on kysely's lock.
    backends = await Promise.all(
      logs.map((logLines) =>
        startTestBackend(
          { database: storage.url, redis: redis.url, 'presence-lease': 2, 'call-timeout': 1, 'log-level': 'info' },
          { logLines },
        ),
      ),
    );
  });

  after(async () => {
    await Promise.allSettled(chargers.map((client) => client.close({ force: true })));
    await Promise.allSettled(backends.map((backend) => backend.stop()));
    await storage?.cleanup();
    await redis?.stop();
  });

  it('applies the migrations once when three instances start together on an empty schema', async () => {
    const applied = logs.map(
      (lines) => lines.find((line) => line.msg === 'storage ready')?.migrationsApplied as string[] | undefined,
    );
    // Whatever migrations there are (several issues add theirs): one instance applied all of them, the others none.
    const migrated = applied.filter((names) => names !== undefined && names.length > 0);
    assert.equal(migrated.length, 1, `exactly one instance migrated: ${JSON.stringify(applied)}`);
    assert.ok(migrated[0]!.includes('0001-initial'));
    const client = new pg.Client({ connectionString: storage.url });
    await client.connect();
    try {
      const { rows } = await client.query('select name from kysely_migration');
      assert.deepEqual(rows.map((row) => row.name).sort(), [...migrated[0]!].sort());
    } finally {
      await client.end();
    }
  });

  it('lists the same charge points, connected, on every instance', async () => {
    await charger(backends[0], 'CP-A');
    await charger(backends[1], 'CP-B');
    await charger(backends[2], 'CP-C');
    await backends[0].api('PUT', '/api/charge-points/CP-OFFLINE', {});
    for (const backend of backends) {
      await waitFor(
        'presence on every instance',
        async () => (await Promise.all(['CP-A', 'CP-B', 'CP-C'].map((id) => connectedOn(backend, id)))).every(Boolean),
        { timeoutMs: 3000 },
      );
    }
    const lists = await Promise.all(
      backends.map(async (backend) =>
        (await backend.api('GET', '/api/charge-points')).body.map((row: { id: string; connected: boolean }) => [
          row.id,
          row.connected,
        ]),
      ),
    );
    const expected = [
      ['CP-A', true],
      ['CP-B', true],
      ['CP-C', true],
      ['CP-OFFLINE', false],
    ];
    for (const list of lists) assert.deepEqual(list, expected);
    // /health counts the sockets each instance holds itself.
    for (const backend of backends)
      assert.equal((await backend.api('GET', '/health', undefined, null)).body.connectedChargePoints, 1);
  });

  it('sends a command through each instance to the chargers held by the others', async () => {
    const identities = ['CP-A', 'CP-B', 'CP-C'];
    for (const [index, backend] of backends.entries()) {
      for (const identity of identities.filter((_, holder) => holder !== index)) {
        const before = received.get(identity)?.length ?? 0;
        const response = await backend.api('POST', `/api/charge-points/${identity}/reset`, { type: 'Soft' });
        assert.equal(response.status, 200, `${identity} through instance ${index}: ${JSON.stringify(response.body)}`);
        assert.deepEqual(response.body, { status: 'Accepted' });
        assert.equal(received.get(identity)?.length, before + 1);
      }
    }

    // The cost of the hop: the same command to the same charger, locally and through another instance,
    // alternated after a warm-up so both see the same conditions.
    const timed = async (backend: TestBackend) => {
      const started = performance.now();
      assert.equal((await backend.api('POST', '/api/charge-points/CP-A/reset', { type: 'Soft' })).status, 200);
      return performance.now() - started;
    };
    for (let i = 0; i < 20; i++) await Promise.all([timed(backends[0]), timed(backends[1])]);
    const local: number[] = [];
    const routed: number[] = [];
    for (let i = 0; i < 100; i++) {
      local.push(await timed(backends[0]));
      routed.push(await timed(backends[1]));
    }
    const percentile = (times: number[], p: number) => LatencyHistogram.of(times).percentileMs(p).toFixed(2);
    console.log(
      `REST command round trip, 100 each: on the holding instance p50 ${percentile(local, 50)} ms p95 ${percentile(local, 95)} ms; ` +
        `through another instance p50 ${percentile(routed, 50)} ms p95 ${percentile(routed, 95)} ms`,
    );
  });

  it("answers like one instance: 502 with the charger's CALLERROR code, 504, 409 and 404", async () => {
    const callError = await backends[0].api('POST', '/api/charge-points/CP-B/call', {
      action: 'CancelReservation',
      payload: { reservationId: 1 },
    });
    assert.equal(callError.status, 502);
    assert.equal(callError.body.error, 'ChargerError');
    assert.equal(callError.body.code, 'NotSupported');

    const started = Date.now();
    const timeout = await backends[0].api('POST', '/api/charge-points/CP-C/call', {
      action: 'SetChargingProfile',
      payload: {
        connectorId: 1,
        csChargingProfiles: {
          chargingProfileId: 1,
          stackLevel: 0,
          chargingProfilePurpose: 'TxDefaultProfile',
          chargingProfileKind: 'Absolute',
          chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }] },
        },
      },
    });
    const elapsed = Date.now() - started;
    assert.equal(timeout.status, 504);
    assert.equal(timeout.body.error, 'Timeout');
    assert.ok(elapsed >= 900 && elapsed < 2500, `504 after the 1 s call timeout, not later (${elapsed} ms)`);

    const offline = await backends[1].api('POST', '/api/charge-points/CP-OFFLINE/reset', { type: 'Soft' });
    assert.equal(offline.status, 409);
    assert.equal(offline.body.error, 'NotConnected');
    assert.equal((await backends[1].api('POST', '/api/charge-points/CP-NOBODY/reset', { type: 'Soft' })).status, 404);
  });

  it('409 when the charger goes away on its instance while a routed command waits', async () => {
    const vanishing = await charger(backends[2], 'CP-VANISH');
    vanishing.handle('Reset', async () => {
      setImmediate(() => void vanishing.close({ force: true }));
      return new Promise(() => {});
    });
    await waitFor('CP-VANISH presence', () => connectedOn(backends[0], 'CP-VANISH'), { timeoutMs: 3000 });
    const response = await backends[0].api('POST', '/api/charge-points/CP-VANISH/reset', { type: 'Hard' });
    assert.equal(response.status, 409);
    assert.equal(response.body.error, 'NotConnected');
    await waitFor('CP-VANISH gone from presence', async () => !(await connectedOn(backends[0], 'CP-VANISH')), {
      timeoutMs: 3000,
    });
  });

  it('closes the old connection when a charger reconnects through another instance', async () => {
    const first = await charger(backends[0], 'CP-MOVE');
    await waitFor('first connection in presence', () => connectedOn(backends[2], 'CP-MOVE'), { timeoutMs: 3000 });
    const closed = new Promise<{ code: number; reason: string }>((resolve) => first.once('close', resolve));

    const second = await charger(backends[1], 'CP-MOVE');
    let answeredBy = '';
    first.handle('GetLocalListVersion', async () => {
      answeredBy = 'first';
      return { listVersion: 1 };
    });
    second.handle('GetLocalListVersion', async () => {
      answeredBy = 'second';
      return { listVersion: 2 };
    });
    const { code, reason } = await Promise.race([
      closed,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('old connection still open after 3 s')), 3000),
      ),
    ]);
    assert.equal(code, 1000);
    assert.equal(String(reason), 'Replaced by a new connection');

    // The old instance letting go does not erase the new holder: every instance routes to the new connection.
    for (const backend of backends) {
      assert.equal(await connectedOn(backend, 'CP-MOVE'), true);
      const response = await backend.api('POST', '/api/charge-points/CP-MOVE/call', {
        action: 'GetLocalListVersion',
        payload: {},
      });
      assert.deepEqual(response.body, { listVersion: 2 });
      assert.equal(answeredBy, 'second');
    }
  });

  it('DELETE through one instance closes the connection another instance holds', async () => {
    const doomed = await charger(backends[2], 'CP-DOOMED');
    await waitFor('CP-DOOMED presence', () => connectedOn(backends[0], 'CP-DOOMED'), { timeoutMs: 3000 });
    const closed = new Promise<{ code: number; reason: string }>((resolve) => doomed.once('close', resolve));
    assert.equal((await backends[0].api('DELETE', '/api/charge-points/CP-DOOMED')).status, 204);
    const { code, reason } = await closed;
    assert.equal(code, 1000);
    assert.equal(String(reason), 'Charge point removed');
  });

  it('gives unique transaction ids to chargers starting transactions on different instances at once', async () => {
    const starters = await Promise.all(backends.map((backend, index) => charger(backend, `CP-TX-${index}`)));
    const ids = (
      await Promise.all(
        starters.flatMap((client) =>
          Array.from(
            { length: 10 },
            (_, n) =>
              client.call('StartTransaction', {
                connectorId: 1,
                idTag: 'RFID',
                meterStart: n,
                timestamp: new Date().toISOString(),
              }) as Promise<{ transactionId: number }>,
          ),
        ),
      )
    ).map((answer) => answer.transactionId);
    assert.equal(new Set(ids).size, 30, `30 distinct ids: ${ids.join(',')}`);
    const stored = await backends[1].api('GET', '/api/transactions?limit=100');
    assert.deepEqual(
      stored.body.map((row: { id: number }) => row.id).sort((a: number, b: number) => a - b),
      [...ids].sort((a, b) => a - b),
    );
  });

  it('reports Redis up with a distinct instance id on /health and in the metrics', async () => {
    const ids = new Set<string>();
    for (const backend of backends) {
      const health = await backend.api('GET', '/health', undefined, null);
      assert.equal(health.status, 200);
      assert.equal(health.body.status, 'ok');
      assert.equal(health.body.redis.status, 'up');
      ids.add(health.body.redis.instanceId);
      const metrics = { body: await backend.metrics() };
      assert.match(metrics.body, /^ocpp_edge_redis_up\{process="backend"\} 1$/m);
      assert.match(metrics.body, /^ocpp_edge_routed_commands_total\{.*outcome="answered".*\} \d+$/m);
    }
    assert.equal(ids.size, 3);
  });
});

describe('a single backend without --redis', () => {
  it('keeps its registry in memory: no Redis on /health or in the metrics', async (t) => {
    const storage = (await createStorage('sqlite', t))!;
    const backend = await startTestBackend({ database: storage.url });
    try {
      const health = await backend.api('GET', '/health', undefined, null);
      assert.equal(health.status, 200);
      assert.equal(health.body.status, 'ok');
      assert.equal(health.body.redis, undefined);
      assert.equal(backend.handle.cluster, undefined);
      assert.doesNotMatch(await backend.metrics(), /ocpp_edge_redis_up/);
    } finally {
      await backend.stop();
      await storage.cleanup();
    }
  });
});
