// Group commit for SQLite: the commits of many chargers made durable by one fdatasync, off the event loop.
//
// SQLite's default in WAL mode (synchronous=FULL) fsyncs the WAL inside every COMMIT, and better-sqlite3 runs
// that on the event loop: one commit per fsync, the whole process waiting on the disk. A 10,000-charger boot storm
// committed about 60 boots a second on a disk whose fsync takes 17 ms (docs/PERFORMANCE.md, section 21). Here the
// connection commits with synchronous=NORMAL (the WAL written, not yet synced; SQLite stays consistent after a
// crash of the OS or the power, it may only lose the newest commits) and nothing is acknowledged until
// `durable()` has resolved: a fdatasync of the WAL file in libuv's threadpool that started after the caller's
// commit. Every commit made while one sync runs is covered by the next, so a storm pays one sync per batch, and
// the event loop keeps serving while the disk works. An acknowledged write is on disk before its answer leaves,
// as with synchronous=FULL (PostgreSQL's commit_delay and MySQL's binlog group commit do the same).

import { open } from 'node:fs/promises';
import path from 'node:path';
import type SQLite from 'better-sqlite3';

export interface GroupCommitStats {
  /** fdatasync calls of the WAL that completed. */
  syncs: number;
  /** Seconds spent in them (threadpool time, not the event loop's). */
  syncSeconds: number;
  /** Calls of durable() that waited for a sync (the others found nothing new to sync). */
  waits: number;
  /** Syncs that failed (EIO, ENOSPC): the waiting callers were rejected. */
  failures: number;
}

export interface GroupCommitObserver {
  synced(seconds: number): void;
  failed(): void;
}

export class SqliteGroupCommit {
  readonly stats: GroupCommitStats = { syncs: 0, syncSeconds: 0, waits: 0, failures: 0 };
  /** Told of every sync (the backend's metrics). */
  observer: GroupCommitObserver | undefined;
  private readonly totalChanges: () => number;
  /** total_changes() when the last completed sync started with no transaction open; -1 when unknown. */
  private durableChanges = -1;
  private running: Promise<void> | undefined;
  /** The sync that starts when the running one ends: shared by everyone who committed while it ran. */
  private queued: Promise<void> | undefined;
  /** The WAL's directory entry is synced once, with the first sync (SQLite created the file without it). */
  private directorySynced = false;

  constructor(
    private readonly sqlite: SQLite.Database,
    private readonly databaseFile: string,
  ) {
    const statement = sqlite.prepare('SELECT total_changes()').pluck();
    this.totalChanges = () => statement.get() as number;
  }

  /**
   * Resolves once every commit made before the call is on disk. Free when nothing was written since the last
   * sync; otherwise waits for a sync that starts after the call (joining one already queued).
   */
  durable(): Promise<void> {
    if (!this.sqlite.inTransaction && this.totalChanges() === this.durableChanges) return Promise.resolve();
    this.stats.waits++;
    if (this.queued) return this.queued;
    if (!this.running) return this.start();
    const after = this.running.catch(() => {});
    this.queued = after.then(() => {
      this.queued = undefined;
      return this.start();
    });
    return this.queued;
  }

  private start(): Promise<void> {
    // A transaction still open (another caller's, across an await) has changes that this sync cannot cover, so
    // its count must not mark them durable.
    const covers = this.sqlite.inTransaction ? -1 : this.totalChanges();
    const started = process.hrtime.bigint();
    const sync = this.syncWal().then(
      () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        this.stats.syncs++;
        this.stats.syncSeconds += seconds;
        if (covers !== -1) this.durableChanges = covers;
        this.observer?.synced(seconds);
      },
      (error: unknown) => {
        this.stats.failures++;
        this.observer?.failed();
        this.durableChanges = -1;
        throw error;
      },
    );
    this.running = sync;
    const clear = () => {
      if (this.running === sync) this.running = undefined;
    };
    sync.then(clear, clear);
    return sync;
  }

  private async syncWal(): Promise<void> {
    // Opened for each sync: SQLite may truncate or recreate the WAL (journal_size_limit, the last connection of
    // another process closing), and an fd kept from before would sync a file nobody writes any more.
    const wal = await open(`${this.databaseFile}-wal`, 'r').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined; // nothing written since the WAL went: nothing to sync
      throw error;
    });
    if (!wal) return;
    try {
      await wal.datasync();
    } finally {
      await wal.close();
    }
    if (!this.directorySynced) {
      const directory = await open(path.dirname(path.resolve(this.databaseFile)), 'r');
      try {
        await directory.sync();
        this.directorySynced = true;
      } finally {
        await directory.close();
      }
    }
  }
}
