// PostgreSQL cut off mid-test through a TCP relay the test controls (the backends reach the database only through
// it): calls that must be stored get CALLERROR InternalError (the charger retries them), nothing is half-written,
// /health says 503, and everything recovers when the relay opens again. Presence lives in Redis, so commands still
// reach chargers across instances meanwhile.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { RPCClient } from 'ocpp-rpc';
import pg from 'pg';
import { startTestBackend, type TestBackend } from '../../support/backend-instance.js';
import { connectCharger, upgradeStatus } from '../../support/ocpp-chargers.js';
import { startRedis, type TestRedis } from '../../support/redis-server.js';
import { createStorage, POSTGRES_HOST, type StorageTarget } from '../../support/storage-targets.js';
import { waitFor } from '../../support/waiting.js';
import { missingServices } from '../../support/cluster/services.js';
import { startTcpRelay, type TcpRelay } from '../../support/cluster/tcp-relay.js';
import { rpcErrorCode } from '../../../common/rpc-error.js';

const skip = await missingServices();

describe('PostgreSQL cut off and back', { skip }, () => {
  let redis: TestRedis;
  let storage: StorageTarget;
  let relay: TcpRelay;
  let backends: TestBackend[] = [];
  let charger: RPCClient;

  /** Reads the database directly, not through the relay. */
  async function query<T>(text: string): Promise<T[]> {
    const client = new pg.Client({ connectionString: storage.url });
    await client.connect();
    try {
      return (await client.query(text)).rows as T[];
    } finally {
      await client.end();
    }
  }
  // A second session goes on another connector with another tag: a new start on a busy connector would close
  // the running one, and a tag already charging gets ConcurrentTx (docs/INTEROP.md).
  const start = (meterStart: number, connectorId = 1, idTag = 'RFID') =>
    charger.call('StartTransaction', {
      connectorId,
      idTag,
      meterStart,
      timestamp: new Date().toISOString(),
    }) as Promise<{ transactionId: number }>;
  const isInternalError = (error: unknown) => rpcErrorCode(error) === 'InternalError';

  before(async (t) => {
    redis = await startRedis();
    storage = (await createStorage('postgres', t as never))!;
    const [host, port] = POSTGRES_HOST.split(':');
    relay = await startTcpRelay(host, Number(port));
    const throughRelay = storage.url.replace(POSTGRES_HOST, `127.0.0.1:${relay.port}`);
    backends = [];
    for (let i = 0; i < 2; i++)
      backends.push(
        await startTestBackend({
          database: throughRelay,
          redis: redis.url,
          'db-pool-size': 3,
          'presence-lease': 2,
          'call-timeout': 2,
        }),
      );
    charger = await connectCharger(backends[0].ocppUrl, 'CP-PG');
    charger.handle('Reset', async () => ({ status: 'Accepted' }));
  });
  after(async () => {
    await charger?.close({ force: true });
    await Promise.allSettled(backends.map((backend) => backend.stop()));
    await relay?.close();
    await storage?.cleanup();
    await redis?.stop();
  });

  it('opens at most --db-pool-size connections per instance', async () => {
    // 40 concurrent requests on each instance, each needing the database.
    const burst = backends.flatMap((backend) =>
      Array.from({ length: 40 }, () => backend.api('GET', '/api/transactions?limit=1000')),
    );
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, relay.connections())), 2);
    try {
      for (const response of await Promise.all(burst)) assert.equal(response.status, 200);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, relay.connections());
    console.log(
      `PostgreSQL connections of 2 instances with --db-pool-size 3 under 80 concurrent requests: peak ${peak}`,
    );
    assert.ok(
      peak >= 2 && peak <= 2 * 3,
      `between 2 and 6 connections for 2 instances with --db-pool-size 3 (peak ${peak})`,
    );
  });

  it('answers InternalError and 503 while cut off, stores nothing half-written, and recovers', async () => {
    const first = await start(100);
    await charger.call('MeterValues', {
      connectorId: 1,
      transactionId: first.transactionId,
      meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: '150' }] }],
    });
    await waitFor(
      'presence of CP-PG',
      async () => (await backends[1].api('GET', '/api/charge-points/CP-PG')).body?.connected === true,
      { timeoutMs: 3000 },
    );

    // Cut while a connection is checked out between two queries (as inside a transaction): the next query fails,
    // the process carries on (the socket's death must not be an uncaught 'error' event).
    await backends[0].handle.store.db.connection().execute(async (connection) => {
      await sql`select 1`.execute(connection);
      await relay.cut();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await assert.rejects(sql`select 1`.execute(connection));
    });
    await assert.rejects(start(200, 2, 'RFID-2'), isInternalError, 'StartTransaction: InternalError');
    await assert.rejects(
      charger.call('StopTransaction', {
        transactionId: first.transactionId,
        meterStop: 300,
        timestamp: new Date().toISOString(),
        transactionData: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: '300' }] }],
      }),
      isInternalError,
      'StopTransaction: InternalError',
    );
    for (const backend of backends) {
      const health = await backend.api('GET', '/health', undefined, null);
      assert.equal(health.status, 503);
      assert.equal(health.body.status, 'unavailable');
      assert.equal(health.body.storage.status, 'down');
      assert.equal(health.body.redis.status, 'up');
    }
    // A new charger cannot be checked against the database: refused with 503, it retries later.
    assert.equal(await upgradeStatus(backends[1].ocppUrl, 'CP-LATE'), 503);
    // Presence is in Redis: a command through the other instance still reaches the charger.
    const command = await backends[1].api('POST', '/api/charge-points/CP-PG/reset', { type: 'Soft' });
    assert.equal(command.status, 200);

    // Nothing of the refused calls reached the database: one transaction, still running, one meter value.
    const transactions = await query<{ id: number; meter_stop: string | null; stop_time: string | null }>(
      'select id, meter_stop, stop_time from transactions',
    );
    assert.deepEqual(transactions, [{ id: first.transactionId, meter_stop: null, stop_time: null }]);
    assert.deepEqual(await query('select value from meter_values'), [{ value: '150' }]);

    await relay.open();
    const reopenedAt = Date.now();
    for (const backend of backends)
      await waitFor(
        '/health 200 after the relay reopens',
        async () => (await backend.api('GET', '/health', undefined, null)).status === 200,
        { timeoutMs: 5000 },
      );
    console.log(
      `PostgreSQL back: /health 200 on both instances ${Date.now() - reopenedAt} ms after the relay reopened`,
    );
    // The charger retries what was refused, and it is stored now.
    const retried = await start(200, 2, 'RFID-2');
    assert.ok(retried.transactionId > first.transactionId);
    await charger.call('StopTransaction', {
      transactionId: first.transactionId,
      meterStop: 300,
      timestamp: new Date().toISOString(),
    });
    const stored = await backends[1].api('GET', `/api/transactions/${first.transactionId}`);
    assert.equal(stored.body.energy, 200);
    assert.equal(await upgradeStatus(backends[1].ocppUrl, 'CP-LATE'), 101);
  });
});
