// The contract of the lock that lets one process at a time place an ACME order, whatever shares the ACME state:
// file-lock.ts for the data dir, redis-lock.ts for Redis. Chosen with the store by --acme-store (state.ts).

export interface LockHolder {
  pid: number;
  hostname: string;
  token: string;
  acquiredAt: string;
  heartbeatAt: string;
  /** What the holder is doing, for operators reading the file. */
  purpose: string;
}

export interface HeldLock {
  readonly holder: LockHolder;
  release(): Promise<void>;
}

/** One ACME order at a time among everyone sharing the ACME state: FileLock in file-lock.ts, RedisLock in redis-lock.ts. */
export interface AcmeLock {
  /** Takes the lock, waiting up to waitMs for a live holder to finish; throws LockBusyError after that. */
  acquire(purpose: string, waitMs: number): Promise<HeldLock>;
}

export class LockBusyError extends Error {
  constructor(readonly holder: LockHolder | undefined) {
    super(
      holder
        ? `ACME lock held by pid ${holder.pid} on ${holder.hostname} since ${holder.acquiredAt}`
        : 'ACME lock busy',
    );
    this.name = 'LockBusyError';
  }
}
