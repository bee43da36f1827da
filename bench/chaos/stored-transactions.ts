// Reads back what the chaos runner's ledger must find: the transaction rows by id, from the database the backends
// wrote (SQLite file or PostgreSQL), through a connection of its own; and SQLite's own verdict on its file.

import SQLite from 'better-sqlite3';
import pg from 'pg';
import type { StoredTransaction } from './ledger.js';

/**
 * The rows of 1.6 transaction `ids` and of 2.0.1 `chargerIds` (the chargers' own) that exist; `databaseUrl` as
 * given to the backend's --database.
 */
export async function readTransactions(
  databaseUrl: string,
  ids: readonly number[],
  chargerIds: readonly string[] = [],
): Promise<StoredTransaction[]> {
  if (ids.length === 0 && chargerIds.length === 0) return [];
  if (databaseUrl.startsWith('sqlite:')) {
    const db = new SQLite(databaseUrl.slice('sqlite:'.length), { readonly: true, fileMustExist: true });
    try {
      const select = db.prepare<string[], Row>(
        `select ${COLUMNS} from transactions where id in (select value from json_each(?)) or charger_transaction_id in (select value from json_each(?))`,
      );
      return select.all(JSON.stringify(ids), JSON.stringify(chargerIds)).map(toStored);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const result = await client.query<Row>(
      `select ${COLUMNS} from transactions where id = any($1::bigint[]) or charger_transaction_id = any($2::text[])`,
      [ids, chargerIds],
    );
    return result.rows.map(toStored);
  } finally {
    await client.end();
  }
}

/** Deletes one row (the accounting test's way to lose a transaction on purpose). */
export async function deleteTransaction(databaseUrl: string, id: number): Promise<void> {
  if (databaseUrl.startsWith('sqlite:')) {
    const db = new SQLite(databaseUrl.slice('sqlite:'.length));
    try {
      db.pragma('foreign_keys = OFF');
      db.prepare('delete from transactions where id = ?').run(id);
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('delete from meter_values where transaction_id = $1', [id]).catch(() => undefined);
    await client.query('delete from transactions where id = $1', [id]);
  } finally {
    await client.end();
  }
}

/** `PRAGMA integrity_check` of a SQLite file: "ok", or what SQLite found wrong. */
export function sqliteIntegrity(file: string): string {
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.pragma('integrity_check') as Array<{ integrity_check: string }>;
    return rows.map((row) => row.integrity_check).join('; ');
  } finally {
    db.close();
  }
}

const COLUMNS = 'id, charge_point_id, meter_start, meter_stop, stop_time, charger_transaction_id';

interface Row {
  id: number | string;
  charge_point_id: string;
  meter_start: number | string;
  meter_stop: number | string | null;
  stop_time: string | null;
  charger_transaction_id: string | null;
}

function toStored(row: Row): StoredTransaction {
  return {
    id: Number(row.id),
    chargePointId: row.charge_point_id,
    meterStart: Number(row.meter_start),
    meterStop: row.meter_stop === null ? null : Number(row.meter_stop),
    stopped: row.stop_time !== null,
    chargerTransactionId: row.charger_transaction_id,
  };
}
