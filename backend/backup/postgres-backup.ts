// PostgreSQL backups are pg_dump's job (a consistent snapshot in one transaction while the backend writes; custom
// format, compressed); this wraps it with what ocpp-edge knows: only the deployment's schema (the search_path's
// first, so several deployments sharing a database are backed up apart), and the schema version read back from
// the dump file itself. A restore (pg_restore --clean) refuses while a backend is connected to the database.

import { spawn } from 'node:child_process';
import pg from 'pg';

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

export async function restorePostgres(url: string, file: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      "select count(*) as n from pg_stat_activity where datname = current_database() and application_name = 'ocpp-edge-backend'",
    );
    if (Number(rows[0]?.n ?? 0) > 0)
      throw new Error(
        `${rows[0]!.n} backend connections to this database are open: stop every backend before restoring into it`,
      );
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
