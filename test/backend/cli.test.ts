// The real command: `node dist/bin/ocpp-edge.js backend …` as the service manager (or `npm start`) runs it.

import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CLI, cleanEnvironment } from '../support/cli.js';
import { RawCharger } from '../support/ocpp-chargers.js';

/** Resolves with the port from the "backend listening" log line. */
async function listeningPort(child: ChildProcess, timeoutMs = 10000): Promise<number> {
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`backend did not start within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of output.split('\n')) {
        if (!line.includes('backend listening')) continue;
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
        return;
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`backend exited with ${code}:\n${output}`));
    });
  });
}

describe('ocpp-edge backend (CLI)', () => {
  it("starts, migrates, answers the plan's BootNotification exchange and /health, and stops cleanly on SIGTERM", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ocpp-edge-cli-'));
    const child = spawn(
      process.execPath,
      [CLI, 'backend', '--port', '0', '--database', `sqlite:${path.join(dir, 'data', 'ocpp.db')}`],
      {
        env: cleanEnvironment({ OCPP_EDGE_BACKEND_API_TOKENS: 'first-token,second-token' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const port = await listeningPort(child);
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
      assert.equal(api.status, 200, 'OCPP_EDGE_BACKEND_API_TOKENS is a comma-separated list');
      assert.equal(((await api.json()) as { vendor: string }).vendor, 'TestVendor');

      const closed = charger.closed;
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      assert.equal(code, 0);
      assert.equal((await closed).code, 1001, 'chargers are told the server is going away');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 naming the key on an invalid configuration', () => {
    const result = spawnSync(process.execPath, [CLI, 'backend', '--database', 'mysql://nope'], {
      env: cleanEnvironment(),
      encoding: 'utf8',
      timeout: 10000,
    });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /--database/);
  });
});
