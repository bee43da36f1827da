// PostgreSQL backups are pg_dump's job (a consistent snapshot in one transaction while the backend writes; custom
// format, compressed); this wraps it with what ocpp-edge knows: only the deployment's schema (the search_path's
// first, so several deployments sharing a database are backed up apart), and the schema version read back from
// the dump file itself. A restore (pg_restore --clean) refuses while a backend is connected to the database.

import { spawn } from 'node:child_process';
import pg from 'pg';
import { backendApplicationName } from '../store/database.js';

export async function backupPostgres(url: string, out: string): Promise<{ schema: string }> {
  const schema = await currentSchema(url);
  await run('pg_dump', ['--format=custom', `--schema=${schema}`, '--no-owner', `--file=${out}`, `--dbname=${url}`]);
  return { schema };
}

/** The migrations recorded in the dump's kysely_migration table. */
export async function dumpMigrations(file: string): Promise<string[]> {
  const text = await run('pg_restore', ['--data-only', '--table=kysely_migration', '--file=-', file]);
  const rows: string[] = [];
  let inCopy = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('COPY ') && line.includes('kysely_migration')) inCopy = true;
    else if (inCopy && line === '\\.') inCopy = false;
    else if (inCopy && line !== '') rows.push(line.split('\t')[0]!);
  }
  return rows;
}

/** How long a restore waits for the connections of backends that have just stopped to go. */
const BACKENDS_GONE_WAIT_MS = 5000;

export async function restorePostgres(url: string, file: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // A backend that has just stopped may still be listed for a moment: PostgreSQL's server process for a closed
    // connection exits shortly after the client has gone (seen right after `systemctl stop`). Wait that out.
    const deadline = Date.now() + BACKENDS_GONE_WAIT_MS;
    for (;;) {
      const { rows } = await client.query<{ n: string }>(
        'select count(*) as n from pg_stat_activity where datname = current_database() and application_name = $1',
        [backendApplicationName(url)],
      );
      const open = Number(rows[0]?.n ?? 0);
      if (open === 0) break;
      if (Date.now() >= deadline)
        throw new Error(
          `${open} backend connections to this database are open: stop every backend before restoring into it`,
        );
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await client.end();
  }
  await run('pg_restore', ['--clean', '--if-exists', '--no-owner', '--single-transaction', `--dbname=${url}`, file]);
}

async function currentSchema(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ schema: string }>('select current_schema() as schema')).rows[0]!.schema;
  } finally {
    await client.end();
  }
}

/** Runs a PostgreSQL client tool; its stdout, or an error with its stderr. */
function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new Error(`${command} is not installed (Debian: apt-get install postgresql-client)`)
          : error,
      ),
    );
    child.on('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`${command} failed (exit ${code}): ${stderr.trim()}`)),
    );
  });
}
