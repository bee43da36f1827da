// The chaos runner's measuring and accounting on a real stack, small: one scenario (a single backend killed with
// -9 under 20 chargers, PostgreSQL and Redis private to this test) run through runScenario, and one acknowledged
// transaction deleted from the database before the accounting: exactly its start and stop must be reported lost,
// and every other acknowledgement found.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { postgresAvailable, startPostgresCluster } from '../../../bench/chaos/postgres-cluster.js';
import { runScenario } from '../../../bench/chaos/scenario-run.js';
import { scenarios, type SharedServices } from '../../../bench/chaos/scenarios.js';
import { deleteTransaction, readTransactions } from '../../../bench/chaos/stored-transactions.js';
import { redisServerAvailable, startRedis } from '../../support/redis-server.js';

const missing = !postgresAvailable()
  ? 'PostgreSQL server binaries missing (apt-get install -y postgresql)'
  : !redisServerAvailable()
    ? 'redis-server missing'
    : undefined;
if (missing && process.env.CI === 'true') throw new Error(`CI requires them: ${missing}`);

describe('chaos runner on a real stack', { skip: missing, timeout: 150_000 }, () => {
  const services: SharedServices = {};

  before(async () => {
    services.postgres = await startPostgresCluster();
    services.redis = await startRedis();
  });
  after(async () => {
    await services.redis?.stop();
    await services.postgres?.stop();
  });

  it('counts acknowledgements, reconnects and errors, and finds the one transaction deleted behind its back', async () => {
    const scenario = scenarios(services).find((candidate) => candidate.key === 'backend-kill-single')!;
    let deleted: { id: number; lostBefore: number; expectedLost: number } | undefined;
    const result = await runScenario(scenario, 1, {
      chargers: 20,
      timeScale: 0.3,
      log: () => {},
      async beforeAccounting(databaseUrl, ledger) {
        const rows = await readTransactions(databaseUrl, ledger.transactionIds());
        const id = rows[0]!.id;
        await deleteTransaction(databaseUrl, id);
        deleted = {
          id,
          lostBefore: ledger.account(rows).lost,
          // The deleted row carried its start and, if acknowledged, its stop.
          expectedLost: ledger.account(rows.filter((row) => row.id !== id)).lost,
        };
      },
    });
    assert.ok(deleted, 'the hook ran');
    assert.equal(deleted.lostBefore, 0, 'nothing lost before the deletion');
    const { accounting } = result;
    const acknowledged = accounting.acknowledgedStarts + accounting.acknowledgedStops;
    assert.ok(
      accounting.acknowledgedStarts >= 20,
      `every charger started a transaction (${accounting.acknowledgedStarts})`,
    );
    assert.equal(accounting.stored + accounting.lost, acknowledged);
    assert.ok(deleted.expectedLost >= 1);
    assert.equal(accounting.lost, deleted.expectedLost, "exactly the deleted row's start and stop");
    assert.ok(accounting.lostExamples.every((line) => line.endsWith(`of ${deleted!.id}: not in the database`)));
    assert.ok(result.startsSent >= accounting.acknowledgedStarts);
    // The kill took every charger's connection (the 1006 closes, counted by kind); those back before the end (on a
    // busy machine the restarted backend may take a while) have their reconnect time measured.
    assert.ok(result.reconnects.count >= 1 && result.reconnects.count <= 20, `${result.reconnects.count} reconnects`);
    assert.ok(result.reconnects.p50 > 0 && result.reconnects.p99 >= result.reconnects.p50);
    assert.equal(result.errors['connection: closed 1006'], 20);
  });
});
