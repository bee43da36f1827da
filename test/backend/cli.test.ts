// The real command: `node dist/bin/ocpp-edge.js backend …` as the service manager (or `npm start`) runs it.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runCli, spawnOcppEdge } from '../support/cli.js';
import { RawCharger } from '../support/ocpp-chargers.js';

describe('ocpp-edge backend (CLI)', () => {
  it("starts, migrates, answers the plan's BootNotification exchange and /health, and stops cleanly on SIGTERM", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ocpp-edge-cli-'));
    const backend = spawnOcppEdge(
      ['backend', '--port', '0', '--database', `sqlite:${path.join(dir, 'data', 'ocpp.db')}`],
      { env: { OCPP_EDGE_API_TOKENS: 'first-token,second-token' } },
    );
    try {
      const port = Number((await backend.logLine('backend listening', 30_000)).port);
      const charger = await RawCharger.connect(`ws://127.0.0.1:${port}/ocpp`, 'TEST_CHARGER_01', []);
      const answer = await charger.call('12345', 'BootNotification', {
        chargePointVendor: 'TestVendor',
        chargePointModel: 'TestModel',
      });
      assert.equal(answer[0], 3);
      assert.deepEqual(
        { ...(answer[2] as object), currentTime: undefined },
        { status: 'Accepted', interval: 300, currentTime: undefined },
      );

      const health = await fetch(`http://127.0.0.1:${port}/health`);
      assert.equal(health.status, 200);
      const api = await fetch(`http://127.0.0.1:${port}/api/charge-points/TEST_CHARGER_01`, {
        headers: { authorization: 'Bearer second-token' },
      });
      assert.equal(api.status, 200, 'OCPP_EDGE_API_TOKENS is a comma-separated list');
      assert.equal(((await api.json()) as { vendor: string }).vendor, 'TestVendor');

      const closed = charger.closed;
      backend.child.kill('SIGTERM');
      assert.equal(await backend.exited, 0);
      assert.equal((await closed).code, 1001, 'chargers are told the server is going away');
    } finally {
      await backend.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 naming the key on an invalid configuration', async () => {
    const result = await runCli(['backend', '--database', 'mysql://nope'], { timeoutMs: 30_000 });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--database/);
  });
});
