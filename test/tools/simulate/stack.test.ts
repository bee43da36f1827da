// `ocpp-edge simulate`'s engine against the real thing: the real backend behind the real proxy, over wss:// with a
// certificate from a private CA given as --ca. Ten chargers boot, run charging sessions with an id tag registered
// through the REST API, and the central system stores them: what the simulator reports is what the backend saw.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runSimulation } from '../../../tools/simulate/fleet.js';
import { formatReport } from '../../../tools/simulate/report.js';
import { startTestBackend, type TestBackend } from '../../support/backend-instance.js';
import { startProxyUnderTest, type ProxyUnderTest } from '../../support/proxy-under-test.js';
import { createTestCa, issueCertificate, writeCertificateFiles } from '../../support/test-certificates.js';

const CHARGERS = 10;

interface StoredTransaction {
  id: number;
  chargePointId: string;
  idTag: string;
  meterStart: number;
  meterStop: number | null;
  stopTime: string | null;
  energy: number | null;
}

describe('ocpp-edge simulate against the real proxy and backend over wss://', { timeout: 60_000 }, () => {
  let dir: string;
  let caFile: string;
  let backend: TestBackend;
  let edge: ProxyUnderTest;
  /** A backend the simulator reaches directly, to restart under it. */
  let second: TestBackend;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-simulate-stack-'));
    const ca = await createTestCa('ocpp-edge simulate test CA');
    caFile = path.join(dir, 'ca.crt');
    await writeFile(caFile, ca.certPem);
    const files = await writeCertificateFiles(dir, 'edge', await issueCertificate(ca, ['localhost', '127.0.0.1']));
    backend = await startTestBackend({ database: `sqlite:${path.join(dir, 'ocpp.db')}`, 'heartbeat-interval': 1 });
    second = await startTestBackend({ database: `sqlite:${path.join(dir, 'second.db')}` });
    edge = await startProxyUnderTest({
      tls: 'files',
      cert: [files.certFile],
      key: [files.keyFile],
      domain: ['localhost'],
      upstream: [backend.httpUrl],
      'log-level': 'warn',
    });
  });

  after(async () => {
    await edge?.close();
    await backend?.stop();
    await second?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test(`${CHARGERS} chargers boot and their transactions are stored by the central system`, async () => {
    // Each charger presents its own identity as its tag (the simulator's default): one tag on several chargers at
    // once would be answered ConcurrentTx, as OCPP says.
    const identities = Array.from({ length: CHARGERS }, (_, i) => `STACK-${String(i + 1).padStart(5, '0')}`);
    for (const identity of identities)
      assert.equal((await backend.api('PUT', `/api/id-tags/${identity}`, { status: 'Accepted' })).status, 201);

    const report = await runSimulation({
      url: `wss://127.0.0.1:${edge.proxy.httpsPort}/ocpp`,
      ca: caFile,
      chargers: CHARGERS,
      ramp: 50,
      duration: 4,
      idPrefix: 'STACK-',
      transactions: true,
      transactionDuration: 1,
      transactionPause: 0.2,
      meterInterval: 0.5,
      callTimeout: 5,
    });

    assert.equal(report.ok, true);
    assert.deepEqual(report.errors, {}, 'no errors');
    assert.deepEqual(report.refusals, {}, 'nothing refused: the id tag is known');
    assert.equal(report.chargers.booted, CHARGERS);
    assert.equal(report.chargers.bootedAtEnd, CHARGERS);
    assert.equal(report.reconnects, 0);
    assert.ok(
      report.transactions.started >= CHARGERS,
      `every charger started a session (${report.transactions.started})`,
    );
    // stop() finishes a session in progress, so every started one is stopped by the end of the run.
    assert.equal(report.transactions.stopped, report.transactions.started);
    assert.ok(report.calls.MeterValues!.ok > 0);

    // What the backend stored matches what the chargers did.
    const chargePoints = await backend.api('GET', '/api/charge-points');
    assert.equal(chargePoints.status, 200);
    const ids = (chargePoints.body as Array<{ id: string }>)
      .map((chargePoint) => chargePoint.id)
      .filter((id) => id.startsWith('STACK-'));
    assert.equal(ids.length, CHARGERS);

    const listed = await backend.api('GET', '/api/transactions?limit=1000');
    assert.equal(listed.status, 200);
    const transactions = (listed.body as StoredTransaction[]).filter((transaction) =>
      transaction.chargePointId.startsWith('STACK-'),
    );
    assert.equal(transactions.length, report.transactions.started);
    assert.equal(
      new Set(transactions.map((transaction) => transaction.chargePointId)).size,
      CHARGERS,
      'every charger has a stored transaction',
    );
    for (const transaction of transactions) {
      assert.equal(transaction.idTag, transaction.chargePointId);
      assert.ok(transaction.stopTime, `transaction ${transaction.id} was stopped`);
      assert.ok(transaction.energy !== null && transaction.energy >= 0, `transaction ${transaction.id} has its energy`);
    }
  });

  test('--transactions where every Authorize is refused fails, and says to register the tag or pass --id-tag', async () => {
    const report = await runSimulation({
      url: `wss://127.0.0.1:${edge.proxy.httpsPort}/ocpp`,
      ca: caFile,
      chargers: 3,
      ramp: 50,
      duration: 2,
      idPrefix: 'REFUSED-',
      transactions: true,
      idTag: 'NOT-REGISTERED',
      transactionDuration: 1,
      transactionPause: 0.2,
      callTimeout: 5,
    });
    assert.equal(report.chargers.booted, 3, 'the chargers themselves were fine');
    assert.equal(report.transactions.started, 0);
    assert.equal(report.ok, false);
    assert.equal(report.failures.length, 1);
    assert.match(
      report.failures[0]!,
      /no transaction started, the central system refused id tag NOT-REGISTERED \(Authorize Invalid ×\d+\)/,
    );
    assert.match(report.failures[0]!, /PUT \/api\/id-tags\/\{idTag\}\) or pass --id-tag/);
    assert.match(formatReport(report), /^result: FAILED — --transactions: no transaction started/m);
  });

  test("a graceful restart's close 1001 is counted apart, not as an error", async () => {
    const run = runSimulation({
      url: `ws://127.0.0.1:${second.handle.port}/ocpp`,
      chargers: 3,
      ramp: 50,
      duration: 4,
      idPrefix: 'RESTART-',
      callTimeout: 5,
    });
    // Once they are connected, the central system goes away gracefully (1001) and comes back on the same port.
    for (let waited = 0; (await second.handle.connections.connectedIds()).length < 3 && waited < 100; waited++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const port = second.handle.port;
    await second.stop();
    second = await startTestBackend({ database: `sqlite:${path.join(dir, 'second.db')}`, port });
    const report = await run;
    assert.equal(report.serverRestarts, 3);
    assert.equal(report.connectionsLost, 0);
    assert.deepEqual(
      Object.keys(report.errors).filter((key) => key.startsWith('connection')),
      [],
      'no connection error',
    );
    assert.equal(report.ok, true);
    assert.match(formatReport(report), /closed by a server restart \(1001\/1012, not errors\) 3/);
  });
});
