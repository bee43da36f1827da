// The boot storm's measuring code on a small N (bench/measurements/boot-storm.ts, bench/storm.ts): chargers boot
// through the proxy's cluster workers to the full backend on each database, every party's CPU is counted, and the
// CPU bound and the report follow the formula. Times are never compared with a limit here.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createBenchCertificates, type BenchCertificates } from '../../../bench/certificates.js';
import { LoadFleet } from '../../../bench/load-fleet.js';
import { machineCpuBound, measureBootStorm, stormCpuBound } from '../../../bench/measurements/boot-storm.js';
import { stormTable, type StormRecord } from '../../../bench/storm.js';
import { reachablePostgresUser } from '../../support/storage-targets.js';

describe('boot storm through the full stack', () => {
  let directory: string;
  let certificates: BenchCertificates;
  let fleet: LoadFleet;

  before(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'ocpp-edge-storm-test-'));
    certificates = await createBenchCertificates(directory);
    fleet = await LoadFleet.start(2);
  });
  after(async () => {
    await fleet.stop();
    await rm(directory, { recursive: true, force: true });
  });

  it("boots every charger through the proxy's two cluster workers to the backend on SQLite, counting each party's CPU", async () => {
    const result = await measureBootStorm(
      'ocpp-edge-x2',
      { fleet, certificates, nginxBinary: 'nginx' },
      { chargers: 40, timeoutMs: 60_000, database: 'sqlite' },
    );
    assert.equal(result.database, 'sqlite');
    assert.equal(result.accepted, 40, JSON.stringify(result.failureKinds));
    assert.equal(result.failures, 0);
    assert.ok(result.allAcceptedSeconds > 0 && result.p99Ms > 0);
    assert.ok(result.targetCpuMs > 0 && result.backendCpuMs > 0 && result.fleetCpuMs > 0, JSON.stringify(result));
  });

  it('boots a mixed fleet (1.6:50%,2.0.1:50%): every charger of both versions accepted, none lost', async () => {
    const result = await measureBootStorm(
      'ocpp-edge',
      { fleet, certificates, nginxBinary: 'nginx' },
      { chargers: 40, timeoutMs: 60_000, database: 'sqlite', ocpp: '1.6:50%,2.0.1:50%' },
    );
    assert.equal(result.ocpp, '1.6:50%,2.0.1:50%');
    assert.equal(result.accepted, 40, JSON.stringify(result.failureKinds));
    assert.equal(result.failures, 0);
    assert.deepEqual(result.acceptedByVersion, { '1.6': 20, '2.0.1': 20 });
  });

  it('boots them against PostgreSQL, in a schema of its own', async (t) => {
    if (!(await reachablePostgresUser()) && process.env.CI !== 'true') {
      t.skip('PostgreSQL not reachable at 127.0.0.1:5432 (database test); CI requires it');
      return;
    }
    const result = await measureBootStorm(
      'ocpp-edge',
      { fleet, certificates, nginxBinary: 'nginx' },
      { chargers: 30, timeoutMs: 60_000, database: 'postgres' },
    );
    assert.equal(result.database, 'postgres');
    assert.equal(result.accepted, 30, JSON.stringify(result.failureKinds));
    assert.equal(result.failures, 0);
    assert.ok(result.databaseServerCpuMs > 0, 'the PostgreSQL server’s CPU is counted');
  });
});

describe('the storm CPU bound', () => {
  const base = { chargers: 10_000, floorCpuPerHandshakeMs: 1.4, backendCpuMs: 6000, cores: 2 };

  it('spreads the handshakes over the cores but not the one backend process', () => {
    const handshakesOnly = stormCpuBound({ ...base, backendCpuMs: 0 });
    assert.equal(handshakesOnly, (base.chargers * base.floorCpuPerHandshakeMs) / base.cores / 1000);
    assert.equal(stormCpuBound({ ...base, backendCpuMs: 0, cores: 4 }), handshakesOnly / 2);
    assert.equal(stormCpuBound(base), handshakesOnly + base.backendCpuMs / 1000);
    assert.equal(stormCpuBound({ ...base, cores: 4 }) - stormCpuBound({ ...base, backendCpuMs: 0, cores: 4 }), 6);
  });

  it('reports a storm within 1.3× of its bound with no failures as met, and anything else as missed', () => {
    const record = (allAcceptedSeconds: number, failures: number): StormRecord => ({
      database: 'sqlite',
      ocpp: '1.6',
      chargers: 100,
      accepted: 100 - failures,
      acceptedByVersion: { '1.6': 100 - failures },
      failures,
      failureKinds: failures ? { 'connect: ECONNRESET': failures } : {},
      allAcceptedSeconds,
      p99Ms: allAcceptedSeconds * 1000,
      targetCpuMs: 1000,
      backendCpuMs: 500,
      fleetCpuMs: 800,
      databaseServerCpuMs: 700,
      backendErrors: [],
      boundSeconds: 10,
      boundFactor: allAcceptedSeconds / 10,
      machineBoundSeconds: machineCpuBound(
        {
          targetCpuMs: 1000,
          backendCpuMs: 500,
          fleetCpuMs: 800,
          databaseServerCpuMs: 700,
        } as Parameters<typeof machineCpuBound>[0],
        2,
      ),
    });
    const lines = stormTable([record(12, 0), record(14, 0), record(11, 1)], 1.4, 2).split('\n');
    const rows = lines.filter((line) => line.startsWith('| sqlite'));
    assert.equal(rows.length, 3);
    assert.match(rows[0]!, /1\.20× \(≤ 1\.3×: met\)/);
    assert.match(rows[1]!, /1\.40× \(≤ 1\.3×: MISSED\)/);
    assert.match(rows[2]!, /1\.10× \(≤ 1\.3×: MISSED\)/);
    // All CPU over the cores: (1 + 0.5 + 0.8 + 0.7) s ÷ 2 = 1.5 s; 12 s is 8× that.
    assert.match(rows[0]!, /\| 1\.5 \| 8\.00× \|/);
    // A storm that lost chargers says why, below the table; one that lost none adds nothing.
    assert.deepEqual(
      lines.filter((line) => line.startsWith('- ')),
      ['- sqlite (1.6): 1 failures: 1 × connect: ECONNRESET'],
    );
    assert.ok(!stormTable([record(12, 0)], 1.4, 2).includes('failures:'));
  });
});
