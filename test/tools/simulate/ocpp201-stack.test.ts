// `ocpp-edge simulate --ocpp` as an operator runs it (the built CLI, a real process) against the real backend behind
// the real proxy over wss://: a 2.0.1 fleet and a mixed fleet boot, charge, and what the backend stored (queried
// through its REST API) is what the simulator reports; a central system that serves only 1.6 fails the verdict of a
// mixed fleet; a malformed --ocpp exits 2 naming the key.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SimulationReport } from '../../../tools/simulate/report.js';
import { startTestBackend, type TestBackend } from '../../support/backend-instance.js';
import { runCli } from '../../support/cli.js';
import { startProxyUnderTest, type ProxyUnderTest } from '../../support/proxy-under-test.js';
import { createTestCa, issueCertificate, writeCertificateFiles } from '../../support/test-certificates.js';

interface StoredTransaction {
  id: number;
  ocppVersion: string;
  chargerTransactionId: string | null;
  chargePointId: string;
  idTag: string;
  idTokenType: string | null;
  stopTime: string | null;
  energy: number | null;
}

describe('ocpp-edge simulate --ocpp 2.0.1 and mixed fleets through the proxy', { timeout: 90_000 }, () => {
  let dir: string;
  let caFile: string;
  let backend: TestBackend;
  let edge: ProxyUnderTest;
  /** A central system that serves OCPP 1.6 only (--ocpp-versions 1.6). */
  let only16: TestBackend;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-simulate-201-'));
    const ca = await createTestCa('ocpp-edge simulate 2.0.1 test CA');
    caFile = path.join(dir, 'ca.crt');
    await writeFile(caFile, ca.certPem);
    const files = await writeCertificateFiles(dir, 'edge', await issueCertificate(ca, ['localhost', '127.0.0.1']));
    backend = await startTestBackend({ database: `sqlite:${path.join(dir, 'ocpp.db')}`, 'heartbeat-interval': 1 });
    only16 = await startTestBackend({ database: `sqlite:${path.join(dir, 'only16.db')}`, 'ocpp-versions': ['1.6'] });
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
    await only16?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function simulate(prefix: string, chargers: number, ocpp: string, url?: string) {
    for (let i = 1; i <= chargers; i++)
      await backend.api('PUT', `/api/id-tags/${prefix}${String(i).padStart(5, '0')}`, { status: 'Accepted' });
    const run = await runCli(
      [
        'simulate',
        '--url',
        url ?? `wss://127.0.0.1:${edge.proxy.httpsPort}/ocpp`,
        '--ca',
        caFile,
        '--ocpp',
        ocpp,
        '--chargers',
        String(chargers),
        '--ramp',
        '50',
        '--duration',
        '4',
        '--id-prefix',
        prefix,
        '--transactions',
        '--transaction-duration',
        '1',
        '--transaction-pause',
        '0.2',
        '--meter-interval',
        '0.4',
        '--call-timeout',
        '5',
        '--json',
      ],
      { env: { NODE_ENV: 'test' }, timeoutMs: 30_000 },
    );
    return { code: run.code, stderr: run.stderr, report: JSON.parse(run.stdout) as SimulationReport };
  }

  async function storedTransactions(prefix: string): Promise<StoredTransaction[]> {
    const listed = await backend.api('GET', '/api/transactions?limit=1000');
    assert.equal(listed.status, 200);
    return (listed.body as StoredTransaction[]).filter((transaction) => transaction.chargePointId.startsWith(prefix));
  }

  test('a 2.0.1 fleet boots and its TransactionEvent transactions are stored with the charger ids', async () => {
    const { code, stderr, report } = await simulate('V201-', 4, '2.0.1');
    assert.equal(code, 0, stderr);
    assert.equal(report.ok, true);
    assert.deepEqual(report.errors, {});
    assert.deepEqual(report.refusals, {});
    assert.equal(report.settings.ocpp, '2.0.1');
    assert.deepEqual(Object.keys(report.versions), ['2.0.1']);
    assert.equal(report.versions['2.0.1']!.booted, 4);
    assert.equal(report.calls.StartTransaction, undefined, 'no 1.6 call');
    assert.ok(
      report.calls.TransactionEvent!.ok >= 2 * report.transactions.started,
      'a Started and an Ended for every transaction (Updated ones between, as the meter interval allows)',
    );
    assert.ok(report.calls.Authorize!.ok >= 4);

    const charger = await backend.api('GET', '/api/charge-points/V201-00001');
    assert.equal(charger.body.ocppVersion, '2.0.1');
    const transactions = await storedTransactions('V201-');
    assert.equal(transactions.length, report.transactions.started);
    assert.equal(report.transactions.stopped, report.transactions.started);
    assert.equal(new Set(transactions.map((transaction) => transaction.chargePointId)).size, 4);
    for (const transaction of transactions) {
      assert.equal(transaction.ocppVersion, '2.0.1');
      assert.match(transaction.chargerTransactionId ?? '', /^[0-9a-f-]{36}$/);
      assert.equal(transaction.idTag, transaction.chargePointId);
      assert.equal(transaction.idTokenType, 'ISO14443');
      assert.ok(transaction.stopTime, `transaction ${transaction.id} ended`);
      assert.ok(transaction.energy !== null && transaction.energy >= 0, `transaction ${transaction.id} has its energy`);
    }
    // The events of one transaction: seqNo from 0, Started first and Ended last, meter values inside.
    const detail = await backend.api('GET', `/api/transactions/${transactions[0]!.id}`);
    const events = detail.body.events as Array<{ seqNo: number; eventType: string; triggerReason: string }>;
    assert.deepEqual(
      events.map((event) => event.seqNo),
      events.map((_, index) => index),
    );
    assert.equal(events[0]!.eventType, 'Started');
    assert.equal(events[0]!.triggerReason, 'Authorized');
    assert.equal(events.at(-1)!.eventType, 'Ended');
  });

  test('a mixed fleet 1.6:50%,2.0.1:50% boots both halves and stores both kinds of transaction in one list', async () => {
    const { code, stderr, report } = await simulate('MIX-', 6, '1.6:50%,2.0.1:50%');
    assert.equal(code, 0, stderr);
    assert.equal(report.ok, true, report.failures.join('; '));
    assert.deepEqual(report.errors, {});
    assert.equal(report.versions['1.6']!.chargers, 3);
    assert.equal(report.versions['2.0.1']!.chargers, 3);
    assert.equal(report.versions['1.6']!.booted, 3);
    assert.equal(report.versions['2.0.1']!.booted, 3);
    assert.ok(report.versions['1.6']!.transactions.started >= 3);
    assert.ok(report.versions['2.0.1']!.transactions.started >= 3);
    assert.ok(report.calls.StartTransaction!.ok >= 3 && report.calls.TransactionEvent!.ok >= 9);

    const transactions = await storedTransactions('MIX-');
    assert.equal(transactions.length, report.transactions.started);
    const byVersion = (version: string) => transactions.filter((transaction) => transaction.ocppVersion === version);
    assert.equal(byVersion('1.6').length, report.versions['1.6']!.transactions.started);
    assert.equal(byVersion('2.0.1').length, report.versions['2.0.1']!.transactions.started);
    // Interleaved: odd chargers speak 1.6, even ones 2.0.1, as the backend negotiated.
    for (const [id, version] of [
      ['MIX-00001', '1.6'],
      ['MIX-00002', '2.0.1'],
      ['MIX-00005', '1.6'],
      ['MIX-00006', '2.0.1'],
    ])
      assert.equal((await backend.api('GET', `/api/charge-points/${id}`)).body.ocppVersion, version, id);
  });

  test('a mixed fleet against a central system serving only 1.6 fails, naming the version that did not work', async () => {
    const { code, report } = await simulate('HALF-', 2, '1.6,2.0.1', `ws://127.0.0.1:${only16.handle.port}/ocpp`);
    assert.equal(code, 1);
    assert.equal(report.ok, false);
    assert.equal(report.versions['1.6']!.booted, 1, 'the 1.6 half was fine');
    assert.equal(report.versions['2.0.1']!.booted, 0);
    assert.ok(
      report.failures.some((failure) =>
        /no OCPP 2\.0\.1 charger had its BootNotification accepted \(none could connect/.test(failure),
      ),
      report.failures.join('; '),
    );
  });

  test('a malformed --ocpp exits 2 naming the key', async () => {
    for (const [value, message] of [
      ['1.6:60%,2.0.1:50%', /--ocpp: the shares add up to 110%, not 100%/],
      ['2.1', /--ocpp: unknown version or share "2\.1"/],
      ['1.6:50%,2.0.1', /--ocpp: give a share to every version, or to none/],
    ] as const) {
      const run = await runCli(['simulate', '--ocpp', value], { env: { NODE_ENV: 'test' }, timeoutMs: 15_000 });
      assert.equal(run.code, 2, value);
      assert.match(run.stderr, message);
    }
  });
});
