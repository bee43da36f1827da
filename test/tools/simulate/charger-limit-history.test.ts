// The limits a simulated charger records (limitHistory, what the group proof sums): a session's limit falls to 0
// when the charger ends it, before StopTransaction leaves, not when the answer comes back. A central system may give
// the freed current to others as soon as it has stored the stop, before it answers.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startCentralSystem } from '../../support/simulate-central-system.js';
import { startSimulatedCharger } from '../../support/simulated-charger.js';
import { waitFor } from '../../support/waiting.js';

describe('the simulated charger’s limit history', () => {
  it('records 0 before StopTransaction is sent, whatever the answer’s delay', async () => {
    const seenAtStop: Array<number | undefined> = [];
    let read: () => number | undefined = () => undefined;
    const system = await startCentralSystem({
      stopTransactionDelayMs: 400,
      onCall: (_identity, action) => {
        if (action === 'StopTransaction') seenAtStop.push(read());
      },
    });
    const simulated = await startSimulatedCharger(system.url, 'CP-LIMIT-HISTORY', {
      runTransactions: true,
      transactionDurationSec: 0.3,
      transactionPauseSec: 0.2,
      meterIntervalSec: 0.1,
    });
    read = () => simulated.charger.limitHistory.at(-1)?.limitA;
    try {
      await waitFor('two sessions stopped', () => seenAtStop.length >= 2, { timeoutMs: 10_000 });
      assert.deepEqual(seenAtStop.slice(0, 2), [0, 0], 'the limit held when the central system got the stop');
      const history = simulated.charger.limitHistory.map((entry) => entry.limitA);
      assert.ok(
        history.some((limitA) => limitA > 0),
        `a session held its limit: ${history.join(', ')}`,
      );
      assert.ok(simulated.stats.transactionsStarted >= 2);
    } finally {
      await simulated.stop();
      await system.close();
    }
  });
});
