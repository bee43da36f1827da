// The data-dir lock between processes: one holder at a time, stale locks broken safely, live ones never.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs, { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { FileLock } from '../../../../proxy/tls/acme/file-lock.js';
import { LockBusyError } from '../../../../proxy/tls/acme/lock.js';

const root = mkdtempSync(path.join(tmpdir(), 'ocpp-edge-acme-lock-'));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshDir = () => {
  counter += 1;
  return path.join(root, `case-${counter}`);
};

describe('data-dir lock', () => {
  test('one holder at a time; a waiter gets it when the holder releases', async () => {
    const file = path.join(freshDir(), 'acme', 'lock');
    const a = new FileLock(file, { pollMs: 20 });
    const b = new FileLock(file, { pollMs: 20 });
    const held = await a.acquire('first', 0);
    await assert.rejects(b.acquire('second', 100), LockBusyError);
    const waiting = b.acquire('second', 5_000);
    setTimeout(() => void held.release(), 100);
    const second = await waiting;
    assert.equal(second.holder.purpose, 'second');
    await second.release();
  });

  test('a lock left by a crashed process on this host is taken over at once', async () => {
    const file = path.join(freshDir(), 'acme', 'lock');
    // A real process that held the lock and died without releasing it.
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10)']);
    const deadPid = child.pid!;
    await new Promise((resolve) => child.once('exit', resolve));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const now = new Date().toISOString();
    writeFileSync(
      file,
      JSON.stringify({
        pid: deadPid,
        hostname: (await import('node:os')).hostname(),
        token: 'dead',
        acquiredAt: now,
        heartbeatAt: now,
        purpose: 'crashed',
      }),
    );
    const started = Date.now();
    const held = await new FileLock(file).acquire('survivor', 1_000);
    assert.ok(Date.now() - started < 500);
    assert.equal(held.holder.purpose, 'survivor');
    await held.release();
  });

  test('a lock from another host is taken over only when its heartbeat is stale', async () => {
    const file = path.join(freshDir(), 'acme', 'lock');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const fresh = new Date().toISOString();
    writeFileSync(
      file,
      JSON.stringify({
        pid: 1,
        hostname: 'other-host',
        token: 'x',
        acquiredAt: fresh,
        heartbeatAt: fresh,
        purpose: 'remote',
      }),
    );
    await assert.rejects(new FileLock(file, { staleMs: 60_000, pollMs: 20 }).acquire('local', 100), LockBusyError);
    const old = new Date(Date.now() - 120_000).toISOString();
    writeFileSync(
      file,
      JSON.stringify({
        pid: 1,
        hostname: 'other-host',
        token: 'y',
        acquiredAt: old,
        heartbeatAt: old,
        purpose: 'remote',
      }),
    );
    const held = await new FileLock(file, { staleMs: 60_000 }).acquire('local', 100);
    assert.equal(held.holder.purpose, 'local');
    await held.release();
  });

  test("the holder's heartbeat keeps its lock fresh", async () => {
    const file = path.join(freshDir(), 'acme', 'lock');
    const lock = new FileLock(file, { heartbeatMs: 50, staleMs: 300, pollMs: 20 });
    const held = await lock.acquire('long order', 0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await assert.rejects(new FileLock(file, { staleMs: 300, pollMs: 20 }).acquire('intruder', 100), LockBusyError);
    await held.release();
  });
});
