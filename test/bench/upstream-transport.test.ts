// The Unix socket against loopback TCP between proxy and backend (bench/upstream-transport.ts) on a small N: each
// variant carries Heartbeats end to end, the backend's CPU is counted with the proxy's, and the table sets each
// against ocpp-edge and nginx over TCP. No CPU figure is compared with a limit here.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createBenchCertificates, type BenchCertificates } from '../../bench/certificates.js';
import { LoadFleet } from '../../bench/load-fleet.js';
import { findNginx } from '../../bench/nginx.js';
import {
  measureTransport,
  TRANSPORT_VARIANTS,
  transportTable,
  type TransportRun,
} from '../../bench/upstream-transport.js';

describe('proxy to backend over a Unix socket and over TCP', () => {
  let workDir: string;
  let certificates: BenchCertificates;
  let fleet: LoadFleet;

  before(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'ocpp-edge-transport-test-'));
    certificates = await createBenchCertificates(workDir);
    fleet = await LoadFleet.start(2);
  });
  after(async () => {
    await fleet.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  for (const variant of TRANSPORT_VARIANTS) {
    it(`${variant.target} over ${variant.upstream}: round trips answered, proxy and backend CPU counted`, async (t) => {
      const nginxBinary = variant.target === 'nginx' ? await findNginx() : 'nginx';
      if (!nginxBinary) {
        t.skip('nginx is not installed (the bench installs it with apt-get)');
        return;
      }
      const run = await measureTransport(
        variant,
        { fleet, certificates, nginxBinary, workDir },
        { chargers: 20, durationMs: 2500 },
      );
      assert.equal(run.failures, 0);
      assert.ok(run.answered >= 20, JSON.stringify(run));
      // CPU time comes in clock ticks of 10 ms: a short run of nginx may not show one.
      assert.ok(run.proxyPer1kMs >= 0 && run.backendPer1kMs >= 0 && run.totalPer1kMs > 0, JSON.stringify(run));
      assert.ok(Math.abs(run.totalPer1kMs - run.proxyPer1kMs - run.backendPer1kMs) < 1e-9);
    });
  }

  it('sets every variant against ocpp-edge over TCP and nginx over TCP', () => {
    const run = (total: number): TransportRun => ({
      answered: 1000,
      failures: 0,
      proxyPer1kMs: total * 0.6,
      backendPer1kMs: total * 0.4,
      totalPer1kMs: total,
    });
    const table = transportTable(
      new Map([
        ['ocpp-edge → backend over tcp', [run(200), run(220)]],
        ['ocpp-edge → backend over unix', [run(180)]],
        ['nginx → backend over tcp', [run(140)]],
        ['nginx → backend over unix', [run(126)]],
      ]),
    );
    assert.match(
      table,
      /\| ocpp-edge → backend over tcp \| 126\.0 \| 84\.0 \| 210\.0 \| 1\.00× \| 1\.50× \| 2 \| 0 \|/,
    );
    assert.match(table, /\| ocpp-edge → backend over unix \| .* \| 180\.0 \| 0\.86× \| 1\.29× \|/);
    assert.match(table, /\| nginx → backend over unix \| .* \| 126\.0 \| 0\.60× \| 0\.90× \|/);
  });
});
