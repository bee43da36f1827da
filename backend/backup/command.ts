// `ocpp-edge backup --out FILE` and `ocpp-edge restore FILE`: the plan's "backup/disaster recovery tested", for the
// database named by the backend's own configuration (--database, --config section `backend:`, DATABASE_URL).
// SQLite: the online backup API while the backend runs (sqlite-backup.ts); PostgreSQL: pg_dump/pg_restore
// (postgres-backup.ts). Both check the schema version against this build; a restore needs the backend stopped.
// docs/OPERATIONS.md, "Backup and disaster recovery", is the runbook.

import type { Argv, CommandModule } from 'yargs';
import { loadOrExit } from '../../common/command.js';
import { redactUrlPassword, yargsOptions } from '../../common/config.js';
import { backendOptions } from '../options.js';
import { knownMigrationNames } from '../store/migrations.js';
import { backupPostgres, dumpMigrations, restorePostgres } from './postgres-backup.js';
import { describeVersion, schemaVersion } from './schema-version.js';
import { backupSqlite, inspectSqliteBackup, restoreSqlite } from './sqlite-backup.js';

/** Exit code when the backup or restore itself failed (a configuration error is 2). */
const EXIT_FAILED = 1;

export const backupCommand: CommandModule = {
  command: 'backup',
  describe: "Back up the backend's database while it runs (SQLite online backup; PostgreSQL pg_dump)",
  builder: (yargs: Argv) =>
    yargs
      .options(yargsOptions(backendOptions) as never)
      .option('out', { type: 'string', demandOption: true, describe: 'File to write the backup to' }),
  handler: async (argv) => {
    const config = loadOrExit(backendOptions, { ...(argv as Record<string, unknown>) }, 'backend');
    const out = String(argv.out);
    await report(async () => {
      if (config.database.startsWith('sqlite:')) {
        const started = Date.now();
        let lastShown = -1;
        const summary = await backupSqlite(config.database.slice('sqlite:'.length), out, (state) => {
          const percent =
            state.totalPages === 0
              ? 100
              : Math.floor((100 * (state.totalPages - state.remainingPages)) / state.totalPages);
          if (percent >= lastShown + 10) {
            lastShown = percent;
            process.stderr.write(`backup: ${percent} % of ${state.totalPages} pages\n`);
          }
        });
        const version = checkedVersion(summary.applied, 'sqlite');
        process.stdout.write(
          `Backed up ${config.database} to ${out} in ${Date.now() - started} ms: ${describeVersion(version)}; ` +
            `${Object.entries(summary.rows)
              .map(([table, n]) => `${table} ${n}`)
              .join(', ')}\n`,
        );
      } else {
        const { schema } = await backupPostgres(config.database, out);
        const version = checkedVersion(await dumpMigrations(out), 'postgres');
        process.stdout.write(
          `Backed up schema ${schema} of ${redactUrlPassword(config.database)} to ${out} (pg_dump custom format): ${describeVersion(version)}\n`,
        );
      }
    });
  },
};

export const restoreCommand: CommandModule = {
  command: 'restore <file>',
  describe: "Restore a backup into the backend's database; the backend must be stopped",
  builder: (yargs: Argv) =>
    yargs
      .positional('file', { type: 'string', describe: 'A file written by `ocpp-edge backup`' })
      .options(yargsOptions(backendOptions) as never),
  handler: async (argv) => {
    const config = loadOrExit(backendOptions, { ...(argv as Record<string, unknown>) }, 'backend');
    const file = String(argv.file);
    await report(async () => {
      if (config.database.startsWith('sqlite:')) {
        const summary = inspectSqliteBackup(file);
        const version = checkedVersion(summary.applied, 'sqlite');
        const target = config.database.slice('sqlite:'.length);
        const kept = await restoreSqlite(file, target);
        process.stdout.write(
          `Restored ${file} into ${target}: ${describeVersion(version)}; transactions ${summary.rows.transactions ?? 0}` +
            `${kept ? `; the database it replaced is kept as ${kept}` : ''}. Start the backend now.\n`,
        );
      } else {
        const version = checkedVersion(await dumpMigrations(file), 'postgres');
        await restorePostgres(config.database, file);
        process.stdout.write(
          `Restored ${file} into ${redactUrlPassword(config.database)}: ${describeVersion(version)}. Start the backend now.\n`,
        );
      }
    });
  },
};

/** The backup's schema version, refused when it records migrations this build does not know. */
function checkedVersion(applied: string[], dialect: 'sqlite' | 'postgres') {
  const version = schemaVersion(applied, knownMigrationNames(dialect));
  if (version.applied.length === 0)
    throw new Error('the backup records no schema migrations: not an ocpp-edge database');
  if (version.unknown.length > 0)
    throw new Error(
      `the backup has migrations this release does not know (${version.unknown.join(', ')}): use the release that made it`,
    );
  return version;
}

async function report(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    process.stderr.write(`ocpp-edge: ${(error as Error).message}\n`);
    process.exitCode = EXIT_FAILED;
  }
}
