// The file implementation of lock.ts's AcmeLock (redis-lock.ts is the other one): one ACME order at a time across
// every process sharing the data dir (PM2 cluster workers, several instances on a shared volume, `ocpp-edge certs
// renew` next to a running proxy).
//
// The lock is a file created with O_EXCL holding {pid, hostname, token, heartbeatAt}. The holder rewrites
// heartbeatAt every few seconds. Another process may break the lock when the holder is gone: same host and the pid
// no longer exists, or (other host, or pid reuse) no heartbeat for `staleMs`. Breaking renames the file away
// first, so of two breakers only one succeeds; the winner checks it removed the stale lock it inspected and puts
// back a live one it grabbed by mistake.

import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileAtomic } from '../atomic-file.js';
import { LockBusyError, type AcmeLock, type HeldLock, type LockHolder } from './lock.js';

export interface FileLockOptions {
  /** Heartbeat period of the holder. */
  heartbeatMs?: number;
  /** A lock whose heartbeat is older than this is considered abandoned (crashed holder on another host). */
  staleMs?: number;
  /** How often a waiting process looks again. */
  pollMs?: number;
}

export class FileLock implements AcmeLock {
  private readonly heartbeatMs: number;
  private readonly staleMs: number;
  private readonly pollMs: number;

  constructor(
    readonly file: string,
    options: FileLockOptions = {},
  ) {
    this.heartbeatMs = options.heartbeatMs ?? 5_000;
    this.staleMs = options.staleMs ?? 60_000;
    this.pollMs = options.pollMs ?? 500;
  }

  /** Takes the lock, waiting up to waitMs for a live holder to finish; throws LockBusyError after that. */
  async acquire(purpose: string, waitMs: number): Promise<HeldLock> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const held = await this.tryAcquire(purpose);
      if (held) return held;
      const holder = await this.readHolder();
      if (holder && this.isAbandoned(holder)) {
        await this.breakStale(holder);
        continue;
      }
      if (Date.now() >= deadline) throw new LockBusyError(holder);
      await sleep(Math.min(this.pollMs, Math.max(1, deadline - Date.now())));
    }
  }

  async readHolder(): Promise<LockHolder | undefined> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as LockHolder;
    } catch {
      // Missing, or caught between create and write: treat as "no information", the caller polls again.
      return undefined;
    }
  }

  isAbandoned(holder: LockHolder): boolean {
    if (holder.hostname === hostname() && !processExists(holder.pid)) return true;
    const heartbeat = Date.parse(holder.heartbeatAt);
    return !Number.isFinite(heartbeat) || Date.now() - heartbeat > this.staleMs;
  }

  private async tryAcquire(purpose: string): Promise<HeldLock | undefined> {
    const now = new Date().toISOString();
    const holder: LockHolder = {
      pid: process.pid,
      hostname: hostname(),
      token: randomBytes(8).toString('hex'),
      acquiredAt: now,
      heartbeatAt: now,
      purpose,
    };
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    try {
      const handle = await open(this.file, 'wx', 0o644);
      try {
        await handle.writeFile(JSON.stringify(holder));
      } finally {
        await handle.close();
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
      throw error;
    }
    return this.held(holder);
  }

  private held(holder: LockHolder): HeldLock {
    let released = false;
    const beat = setInterval(() => {
      holder.heartbeatAt = new Date().toISOString();
      // Only refresh a lock that is still ours (it could have been broken after a long pause of this process).
      this.readHolder()
        .then((current) =>
          current?.token === holder.token && !released
            ? writeFileAtomic(this.file, JSON.stringify(holder), 0o644)
            : undefined,
        )
        .catch(() => undefined);
    }, this.heartbeatMs);
    beat.unref();
    return {
      holder,
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(beat);
        const current = await this.readHolder();
        if (current?.token === holder.token) await unlink(this.file).catch(() => undefined);
      },
    };
  }

  private async breakStale(stale: LockHolder): Promise<void> {
    const aside = `${this.file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await rename(this.file, aside);
    } catch {
      return; // someone else broke it (or the holder released it) first
    }
    const removed = await readFile(aside, 'utf8')
      .then((text) => JSON.parse(text) as LockHolder)
      .catch(() => undefined);
    if (removed && removed.token !== stale.token) {
      // Between our read and our rename a new holder took the lock: give it back (link fails if the name is taken).
      await link(aside, this.file).catch(() => undefined);
    }
    await unlink(aside).catch(() => undefined);
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
