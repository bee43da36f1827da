// SQLite backups with SQLite's online backup API (better-sqlite3's `.backup()`): a consistent copy of the
// database taken page by page while the backend keeps writing (WAL: the writer is never blocked; pages written
// meanwhile make the copy restart over them). The copy is checked (integrity_check) and made a single
// self-contained file (journal_mode DELETE), so it can be moved and opened anywhere.
//
// A restore goes into a stopped deployment: the target must not be open in any other process. Leaving WAL mode
// needs every other connection gone, so `journal_mode = DELETE` on the target is the check that nothing (no
// backend) has it open; it also folds the target's WAL into it, so no stale -wal file can be replayed over the
// restored pages. The database being replaced is kept beside it (`PATH.before-restore-TIMESTAMP`).

import { existsSync, renameSync, rmSync } from 'node:fs';
import SQLite from 'better-sqlite3';

export interface BackupProgress {
  totalPages: number;
  remainingPages: number;
}

export interface SqliteSummary {
  applied: string[];
  rows: Record<string, number>;
}

export async function backupSqlite(
  source: string,
  out: string,
  progress: (state: BackupProgress) => void,
): Promise<SqliteSummary> {
  if (!existsSync(source)) throw new Error(`no database at ${source}`);
  const db = new SQLite(source, { fileMustExist: true, timeout: 5000 });
  try {
    rmSync(out, { force: true });
    await db.backup(out, {
      progress: (info) => {
        progress(info);
        // Pages per step: small enough that the backend's writes interleave, large enough to finish quickly.
        return 1024;
      },
    });
  } finally {
    db.close();
  }
  const copy = new SQLite(out, { fileMustExist: true });
  try {
    copy.pragma('journal_mode = DELETE');
    checkIntegrity(copy, out);
    return summarize(copy);
  } finally {
    copy.close();
  }
}

/** Reads a backup file: integrity and what it holds (migrations, rows per table). */
export function inspectSqliteBackup(file: string): SqliteSummary {
  const db = new SQLite(file, { fileMustExist: true, readonly: true });
  try {
    checkIntegrity(db, file);
    return summarize(db);
  } finally {
    db.close();
  }
}

/** Replaces the database at `target` by the backup; throws if anything has the target open. */
export async function restoreSqlite(backup: string, target: string): Promise<string | undefined> {
  let kept: string | undefined;
  if (existsSync(target)) {
    const current = new SQLite(target, { fileMustExist: true, timeout: 0 });
    try {
      const mode = current.pragma('journal_mode = DELETE', { simple: true });
      if (mode !== 'delete') throw new Error('busy');
    } catch {
      current.close();
      throw new Error(
        `${target} is in use by another process (a running backend?): stop the backend before restoring into it`,
      );
    }
    current.close();
    kept = `${target}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(target, kept);
    for (const suffix of ['-wal', '-shm', '-journal']) rmSync(`${target}${suffix}`, { force: true });
  }
  const source = new SQLite(backup, { fileMustExist: true, readonly: true });
  try {
    await source.backup(target);
  } finally {
    source.close();
  }
  const restored = new SQLite(target, { fileMustExist: true });
  try {
    checkIntegrity(restored, target);
  } finally {
    restored.close();
  }
  return kept;
}

function checkIntegrity(db: SQLite.Database, file: string): void {
  const result = db.pragma('integrity_check', { simple: true });
  if (result !== 'ok') throw new Error(`${file} fails SQLite's integrity check: ${String(result)}`);
}

function summarize(db: SQLite.Database): SqliteSummary {
  const tables = (
    db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'").all() as Array<{
      name: string;
    }>
  ).map((row) => row.name);
  if (!tables.includes('kysely_migration'))
    throw new Error('not an ocpp-edge database: it has no kysely_migration table');
  const applied = (db.prepare('select name from kysely_migration').all() as Array<{ name: string }>).map(
    (row) => row.name,
  );
  const rows: Record<string, number> = {};
  for (const table of tables) {
    if (table.startsWith('kysely_')) continue;
    rows[table] = (db.prepare(`select count(*) as n from "${table.replace(/"/g, '""')}"`).get() as { n: number }).n;
  }
  return { applied, rows };
}
