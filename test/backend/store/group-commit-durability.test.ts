// An acknowledged transaction is on disk before the charger reads the answer: the backend process runs under
// strace, and the system calls show the StartTransaction commit written to SQLite's WAL, the WAL synced
// (fdatasync or fsync, completed), and only then the answer written to the charger's socket. The same for a write
// through the REST API (an id tag). What a power cut could lose is what no one was told was stored.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { spawnOcppEdge } from '../../support/cli.js';
import { RawCharger } from '../../support/ocpp-chargers.js';
import { freePort } from '../../support/ports.js';
import { waitFor } from '../../support/waiting.js';

const TOKEN = 'durability-token-0123456789';

interface Syscall {
  pid: string;
  name: string;
  /** The text from the call's name to its end (arguments, result). */
  text: string;
  /** Index of the line on which it completed. */
  completed: number;
  started: number;
}

/** strace -f output as calls with the lines they started and completed on (joining unfinished/resumed halves). */
function parseStrace(lines: string[]): Syscall[] {
  const calls: Syscall[] = [];
  const open = new Map<string, Syscall>();
  for (const [index, line] of lines.entries()) {
    const resumed = /^(\d+) +<\.\.\. (\w+) resumed>(.*)$/.exec(line);
    if (resumed) {
      const call = open.get(`${resumed[1]} ${resumed[2]}`);
      if (call) {
        call.text += resumed[3];
        call.completed = index;
        open.delete(`${resumed[1]} ${resumed[2]}`);
      }
      continue;
    }
    const start = /^(\d+) +(\w+)\((.*)$/.exec(line);
    if (!start) continue;
    const call: Syscall = { pid: start[1]!, name: start[2]!, text: start[3]!, started: index, completed: index };
    calls.push(call);
    if (line.endsWith('<unfinished ...>')) open.set(`${call.pid} ${call.name}`, call);
  }
  return calls;
}

/** Asserts: a WAL write, then a completed sync of the WAL, then the first socket write containing `marker`. */
function assertSyncedBeforeAnswer(calls: Syscall[], marker: string, what: string): void {
  const answer = calls.find((call) => /^write/.test(call.name) && call.text.includes(marker));
  assert.ok(answer, `${what}: the answer written to the socket`);
  const walWrites = calls.filter(
    (call) => call.name.startsWith('pwrite') && /-wal>/.test(call.text) && call.completed < answer.started,
  );
  assert.ok(walWrites.length > 0, `${what}: the commit was written to the WAL before the answer`);
  const commit = walWrites.at(-1)!;
  const sync = calls.find(
    (call) =>
      (call.name === 'fdatasync' || call.name === 'fsync') &&
      /-wal>/.test(call.text) &&
      call.started > commit.completed &&
      call.completed < answer.started &&
      /= 0\s*$/.test(call.text),
  );
  assert.ok(sync, `${what}: the WAL was synced after the commit and before the answer`);
}

describe('SQLite: nothing is acknowledged before it is on disk', () => {
  it('StartTransaction and an API write are answered only after the WAL holding them is synced', async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ocpp-edge-durability-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const trace = path.join(dir, 'strace.txt');
    const port = await freePort();
    const backend = spawnOcppEdge(
      [
        'backend',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--metrics-port',
        '0',
        '--database',
        `sqlite:${path.join(dir, 'central.db')}`,
        '--api-token',
        TOKEN,
        '--after-boot-delay',
        '600',
      ],
      {
        wrapper: [
          'strace',
          '-f',
          '-qq',
          '-yy',
          '-s',
          '512',
          '-e',
          'trace=pwrite64,pwritev,fdatasync,fsync,write,writev',
          '-o',
          trace,
        ],
      },
    );
    t.after(() => backend.stop('SIGKILL'));
    const listening = await backend.logLine('backend listening', 60_000);
    // Killing strace would leave the traced backend running (detached): kill the backend itself.
    t.after(() => {
      try {
        process.kill(listening.pid as number, 'SIGKILL');
      } catch {
        // already gone
      }
    });

    const charger = await RawCharger.connect(`ws://127.0.0.1:${port}/ocpp`, 'CP-DURABLE', ['ocpp1.6']);
    t.after(() => charger.close());
    const boot = await charger.call(
      'boot-durable',
      'BootNotification',
      { chargePointVendor: 'ocpp-edge', chargePointModel: 'test' },
      20_000,
    );
    assert.equal((boot[2] as { status: string }).status, 'Accepted');
    const started = await charger.call(
      'start-durable-1',
      'StartTransaction',
      { connectorId: 1, idTag: 'TAG-DURABLE', meterStart: 100, timestamp: new Date().toISOString() },
      20_000,
    );
    assert.ok((started[2] as { transactionId: number }).transactionId > 0);

    const response = await fetch(`http://127.0.0.1:${port}/api/id-tags/API-DURABLE-TAG`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'Accepted' }),
    });
    assert.equal(response.status, 201, await response.text());

    // strace writes each line as the call completes; the answers are in the file once the process wrote them.
    await waitFor('the API answer in the trace', () => readFileSync(trace, 'utf8').includes('API-DURABLE-TAG'), {
      timeoutMs: 10_000,
    });
    const calls = parseStrace(readFileSync(trace, 'utf8').split('\n'));
    assertSyncedBeforeAnswer(calls, 'start-durable-1', 'StartTransaction');
    assertSyncedBeforeAnswer(calls, 'API-DURABLE-TAG', 'PUT /api/id-tags/:idTag');
  });
});
