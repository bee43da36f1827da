// The chaos runner's accounting (bench/chaos/ledger.ts) and its table (table.ts): what counts as acknowledged,
// what as stored, and which differences are a loss.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TransactionLedger, type StoredTransaction } from '../../../bench/chaos/ledger.js';
import { cells, errorSummary, markdownTable, textTable, type ScenarioResult } from '../../../bench/chaos/table.js';

function ledgerOf(...acks: Array<[string, 'started' | 'stopped', number | string, number]>): TransactionLedger {
  const ledger = new TransactionLedger();
  for (const [charger, phase, transactionId, meterWh] of acks)
    ledger.record({ charger, phase, transactionId, meterWh });
  return ledger;
}

describe('transaction ledger', () => {
  it('finds every acknowledged start and stop stored with the figures the charger sent', () => {
    const ledger = ledgerOf(['CP1', 'started', 1, 100], ['CP1', 'stopped', 1, 150], ['CP2', 'started', 2, 7]);
    const rows: StoredTransaction[] = [
      { id: 1, chargePointId: 'CP1', meterStart: 100, meterStop: 150, stopped: true, chargerTransactionId: null },
      { id: 2, chargePointId: 'CP2', meterStart: 7, meterStop: null, stopped: false, chargerTransactionId: null },
    ];
    assert.deepEqual(ledger.transactionIds().sort(), [1, 2]);
    assert.deepEqual(ledger.account(rows), {
      acknowledgedStarts: 2,
      acknowledgedStops: 1,
      stored: 3,
      lost: 0,
      lostExamples: [],
    });
  });

  it('counts a retransmitted start answered with the same id once', () => {
    const ledger = ledgerOf(['CP1', 'started', 5, 10], ['CP1', 'started', 5, 10]);
    const accounting = ledger.account([
      { id: 5, chargePointId: 'CP1', meterStart: 10, meterStop: null, stopped: false, chargerTransactionId: null },
    ]);
    assert.equal(accounting.acknowledgedStarts, 1);
    assert.equal(accounting.lost, 0);
  });

  it('reports as lost a missing row, a stop the database does not hold, another charger and another meter value', () => {
    const ledger = ledgerOf(
      ['CP1', 'started', 1, 100],
      ['CP1', 'stopped', 1, 150],
      ['CP2', 'started', 2, 7],
      ['CP2', 'stopped', 2, 9],
      ['CP3', 'started', 3, 1],
      ['CP4', 'started', 4, 40],
    );
    const accounting = ledger.account([
      // 1 is gone; 2 was never stopped in the database; 3 is another charger's; 4 has another meter start.
      { id: 2, chargePointId: 'CP2', meterStart: 7, meterStop: null, stopped: false, chargerTransactionId: null },
      { id: 3, chargePointId: 'CPX', meterStart: 1, meterStop: null, stopped: false, chargerTransactionId: null },
      { id: 4, chargePointId: 'CP4', meterStart: 41, meterStop: null, stopped: false, chargerTransactionId: null },
    ]);
    assert.equal(accounting.acknowledgedStarts + accounting.acknowledgedStops, 6);
    assert.equal(accounting.stored, 1);
    assert.equal(accounting.lost, 5);
    assert.deepEqual(accounting.lostExamples.sort(), [
      'CP1 start of 1: not in the database',
      'CP1 stop of 1: not in the database',
      'CP2 stop of 2: still open in the database',
      'CP3 start of 3: stored for CPX',
      'CP4 start of 4: meter_start 41 in the database, 40 sent',
    ]);
  });
});

describe('transaction ledger, OCPP 2.0.1', () => {
  it("finds the chargers' own transaction ids per charger, started and stopped", () => {
    const ledger = ledgerOf(
      ['CS1', 'started', 'tx-1', 10],
      ['CS1', 'stopped', 'tx-1', 20],
      ['CS2', 'started', 'tx-1', 10],
      ['CS2', 'stopped', 'tx-1', 20],
    );
    assert.deepEqual(ledger.transactionIds(), []);
    assert.deepEqual(ledger.chargerTransactionIds(), ['tx-1']);
    const accounting = ledger.account([
      { id: 7, chargePointId: 'CS1', meterStart: 0, meterStop: 0, stopped: true, chargerTransactionId: 'tx-1' },
      { id: 8, chargePointId: 'CS2', meterStart: 0, meterStop: null, stopped: false, chargerTransactionId: 'tx-1' },
    ]);
    assert.equal(accounting.acknowledgedStarts, 2);
    assert.equal(accounting.stored, 3);
    assert.deepEqual(accounting.lostExamples, ['CS2 stop of tx-1: still open in the database']);
  });
});

describe('chaos table', () => {
  const result: ScenarioResult = {
    scenario: 'backend kill -9, single',
    chargers: 20,
    startsSent: 41,
    accounting: { acknowledgedStarts: 40, acknowledgedStops: 38, stored: 77, lost: 1, lostExamples: [] },
    reconnects: { count: 20, p50: 850, p99: 12_400 },
    errors: { 'connect: HTTP 502': 63, 'connection: closed 1006': 20, 'a|b': 1, x: 1, y: 1 },
    notes: [],
  };

  it('shows the accounting, the reconnect times and the most frequent errors', () => {
    assert.deepEqual(cells(result), [
      'backend kill -9, single',
      '20',
      '41',
      '40/38',
      '77',
      '1',
      '850 ms / 12.4 s (20)',
      'connect: HTTP 502 ×63; connection: closed 1006 ×20; a|b ×1; x ×1; others ×1',
    ]);
    assert.equal(errorSummary({}), 'none');
  });

  it('renders as aligned text and as Markdown with the pipes escaped', () => {
    const text = textTable([result]).split('\n');
    assert.equal(text.length, 3);
    assert.ok(text[0]!.startsWith('scenario'));
    assert.equal(text[0]!.indexOf('chargers'), text[2]!.indexOf('20'));
    const markdown = markdownTable([result]).split('\n');
    assert.equal(markdown[1], '|---|---|---|---|---|---|---|---|');
    assert.ok(markdown[2]!.includes('a\\|b ×1'));
  });
});
