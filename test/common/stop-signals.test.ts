// SIGTERM and SIGINT on a long-running ocpp-edge process (common/command.ts): a graceful stop that cannot hang
// for ever. When stdout's reader has gone away (a closed pipe, a service manager's log collector that died), the
// last log lines are given up after a second instead of being retried indefinitely; a stop that takes longer
// than its deadline (drain timeout plus a margin) exits anyway; and a second signal exits at once.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { CLI, cleanEnvironment } from '../support/cli.js';
import { httpsRequest } from '../support/tls-clients.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ocpp-edge-signals-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The fields of the `ready` log line these tests read. */
type ReadyLine = { msg: string; httpsPort: number } & Record<string, unknown>;

/** Starts `ocpp-edge ...args` and resolves with the child and the first JSON log line whose msg is `ready`. */
async function started(args: string[], ready: string): Promise<{ child: ChildProcess; line: ReadyLine }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: cleanEnvironment(), stdio: ['ignore', 'pipe', 'pipe'] });
  process.once('exit', () => child.kill('SIGKILL'));
  let output = '';
  const line = await new Promise<ReadyLine>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready within 15 s:\n${output}`)), 15_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const found = output.split('\n').find((candidate) => candidate.includes(ready));
      if (!found) return;
      clearTimeout(timer);
      resolve(JSON.parse(found));
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
  child.stdout!.removeAllListeners('data');
  return { child, line };
}

/** Waits for the exit; the exit code (or signal) and how long it took from now. */
async function exited(child: ChildProcess, withinMs: number): Promise<{ code: number | null; ms: number }> {
  const startedAt = performance.now();
  const timer = setTimeout(() => child.kill('SIGKILL'), withinMs);
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  assert.notEqual(signal, 'SIGKILL', `still running after ${withinMs} ms`);
  return { code, ms: performance.now() - startedAt };
}

describe('stopping on SIGTERM / SIGINT', () => {
  test('exits although nobody reads its stdout any more', async () => {
    const { child } = await started(
      [
        'backend',
        '--port',
        '0',
        '--metrics-port',
        '0',
        '--database',
        `sqlite:${path.join(dir, 'epipe.db')}`,
        '--log-level',
        'debug',
      ],
      'backend listening',
    );
    // The reader goes away: every further log line fails with EPIPE.
    child.stdout!.destroy();
    child.kill('SIGTERM');
    const { ms } = await exited(child, 10_000);
    assert.ok(ms < 5_000, `exited after ${Math.round(ms)} ms`);
  });

  test('a second signal exits at once while a request is still being drained', async () => {
    // An upstream that accepts and never answers: the request stays in flight for the whole --drain-timeout.
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const upstream = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
    try {
      const { child, line } = await started(
        [
          'proxy',
          '--host',
          '127.0.0.1',
          '--https-port',
          '0',
          '--http-port',
          '0',
          '--metrics-port',
          '0',
          '--tls',
          'self-signed',
          '--data-dir',
          path.join(dir, 'second-signal'),
          '--upstream',
          upstream,
          '--drain-timeout',
          '60',
          '--upstream-timeout',
          '120',
        ],
        'proxy listening',
      );
      child.stdout!.resume();
      const inFlight = httpsRequest(line.httpsPort, '/api/slow').catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 300));
      child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(child.exitCode, null, 'still draining after the first signal');
      child.kill('SIGTERM');
      const { code, ms } = await exited(child, 10_000);
      assert.equal(code, 143);
      assert.ok(ms < 2_000, `exited ${Math.round(ms)} ms after the second signal`);
      await inFlight;
    } finally {
      silent.close();
    }
  });

  test('a stop that outlasts its deadline (drain timeout plus a margin) exits anyway', async () => {
    // The drain itself is bounded; what is not is the rest of the stop. A request that never finishes keeps the
    // drain to its full --drain-timeout of 1 s, and the deadline (1 s + 5 s) still ends the process in time.
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { child, line } = await started(
        [
          'proxy',
          '--host',
          '127.0.0.1',
          '--https-port',
          '0',
          '--http-port',
          '0',
          '--metrics-port',
          '0',
          '--tls',
          'self-signed',
          '--data-dir',
          path.join(dir, 'deadline'),
          '--upstream',
          `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`,
          '--drain-timeout',
          '1',
        ],
        'proxy listening',
      );
      child.stdout!.resume();
      void httpsRequest(line.httpsPort, '/api/slow').catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 300));
      child.kill('SIGTERM');
      const { ms } = await exited(child, 15_000);
      assert.ok(ms < 6_500, `exited after ${Math.round(ms)} ms`);
    } finally {
      silent.close();
    }
  });
});
