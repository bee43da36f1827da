// The proof of the group limit: 20 simulated chargers on a 100 A group, through the proxy over real WebSockets
// (TLS), starting and stopping sessions on their own and all at once. Every limit each charger held, as it accepted
// it, is kept in its history; at every moment of the run the sum of what the chargers held is at most 100 A, and
// every charging session held at least the 6 A minimum or was paused (0).

import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { withBackend } from '../../support/backend-instance.js';
import { startProxyUnderTest } from '../../support/proxy-under-test.js';
import { startSimulatedCharger, type TestSimulatedCharger } from '../../support/simulated-charger.js';
import { waitFor } from '../../support/waiting.js';

const CHARGERS = 20;
const GROUP_LIMIT = 100;
const RUN_MS = 24_000;

describe('group limit proof', () => {
  it('20 chargers on 100 A through the proxy: the sum held never above 100 A, every session ≥ 6 A or paused', {
    timeout: 90_000,
  }, async (t) => {
    const flags = { 'after-boot-delay': 0.05, 'group-rebalance-interval': 0.5 };
    await withBackend(t, 'sqlite', flags, async (backend) => {
      const edge = await startProxyUnderTest({ upstream: [backend.httpUrl], tls: 'self-signed' });
      const ids = Array.from({ length: CHARGERS }, (_, index) => `CP-PROOF-${String(index + 1).padStart(2, '0')}`);
      const sims: TestSimulatedCharger[] = [];
      try {
        // Registered, tagged and in the group before they connect: their first session finds the group's default.
        assert.equal(
          (await backend.api('POST', '/api/charging-groups', { id: 'depot', limit: GROUP_LIMIT, unit: 'A' })).status,
          201,
        );
        for (const id of ids) {
          await backend.api('PUT', `/api/charge-points/${id}`, {});
          await backend.api('PUT', `/api/id-tags/${id}`, {});
          assert.equal((await backend.api('PUT', `/api/charging-groups/depot/members/${id}`)).status, 200);
        }
        const began = performance.now();
        const started = await Promise.allSettled(
          ids.map((id, index) =>
            startSimulatedCharger(`wss://127.0.0.1:${edge.proxy.httpsPort}/ocpp`, id, {
              rejectUnauthorized: false,
              runTransactions: true,
              transactionDurationSec: 8,
              transactionPauseSec: 2,
              meterIntervalSec: 1,
              // Every fourth EV wants 10 A only: its unused share goes to the others.
              ...(index % 4 === 0 ? { evDemandA: 10 } : {}),
            }),
          ),
        );
        // Every one that started is stopped in the end, even when another did not boot.
        for (const result of started) if (result.status === 'fulfilled') sims.push(result.value);
        for (const result of started) if (result.status === 'rejected') throw result.reason;
        // Midway, every idle charger is asked to start at once: more sessions than 100 A gives 6 A each.
        await new Promise((resolve) => setTimeout(resolve, RUN_MS / 2));
        await Promise.all(
          sims.map((sim) =>
            backend.api('POST', `/api/charge-points/${sim.charger.identity}/remote-start`, {
              idTag: sim.charger.identity,
            }),
          ),
        );
        const crowded = await waitFor('some sessions paused', async () => {
          const { body } = await backend.api('GET', '/api/charging-groups/depot');
          return body.sessions.length > GROUP_LIMIT / 6 ? body.sessions.length : undefined;
        });
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, began + RUN_MS - performance.now())));
        await Promise.all(sims.map((sim) => sim.stop()));

        // Every change any charger saw, in time order; the sum of what each held at each moment.
        const timeline = sims
          .flatMap((sim, index) => sim.charger.limitHistory.map((entry) => ({ ...entry, index })))
          .sort((a, b) => a.at - b.at);
        const holding = new Array<number>(CHARGERS).fill(0);
        let maxSum = 0;
        for (const { index, limitA } of timeline) {
          holding[index] = limitA;
          const sum = holding.reduce((total, value) => total + value, 0);
          maxSum = Math.max(maxSum, sum);
          assert.ok(sum <= GROUP_LIMIT + 1e-6, `the chargers held ${sum} A in all`);
          assert.ok(limitA === 0 || limitA >= 6, `a session held ${limitA} A: neither paused nor at the minimum`);
        }
        const sessions = sims.reduce((total, sim) => total + sim.stats.transactionsStarted, 0);
        assert.ok(sessions >= CHARGERS * 1.5, `sessions started: ${sessions}`);
        assert.ok(maxSum >= GROUP_LIMIT - 6, `the limit was used: at most ${maxSum} A held`);
        const metrics = await backend.metrics();
        const rebalances = /ocpp_edge_group_rebalances_total\{group="depot"[^}]*\} (\d+)/.exec(metrics)?.[1];
        const pushes = /ocpp_edge_group_profile_pushes_total\{group="depot",result="Accepted"[^}]*\} (\d+)/.exec(
          metrics,
        )?.[1];
        console.log(
          `group proof: ${sessions} sessions, ${timeline.length} limit changes, at most ${maxSum.toFixed(1)} A of ${GROUP_LIMIT} held, ${crowded} sessions at the crowded moment (at most ${Math.floor(GROUP_LIMIT / 6)} can charge), ${rebalances} rebalances, ${pushes} profiles accepted, ${Math.round(performance.now() - began)} ms`,
        );
      } finally {
        await Promise.all(sims.map((sim) => sim.stop()));
        await edge.close();
      }
    });
  });
});
