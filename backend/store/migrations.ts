// Versioned schema migrations, defined in code and applied at start by kysely's Migrator, which records them in
// kysely_migration and holds a lock while it runs (on PostgreSQL a session advisory lock, pg_advisory_lock): several
// instances starting together apply each migration once, the others wait and find nothing left to do (proved by
// test/backend/cluster/routing.test.ts). Never edit a released migration: add a new one.

import {
  type ColumnDefinitionBuilder,
  Migrator,
  sql,
  type Kysely,
  type Migration,
  type MigrationProvider,
} from 'kysely';
import type { Dialect } from './database.js';
import { featureMigrations } from './feature-migrations.js';

/** What a migration runs on: untyped, since a migration must not depend on today's schema (Kysely's guide). */
// biome-ignore lint/suspicious/noExplicitAny: see above; the one place migrations get their database type
type MigrationDb = Kysely<any>;

export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect): Promise<string[]> {
  // PostgreSQL: the bookkeeping tables go in the schema the data lives in (the search_path's first). Without this,
  // kysely looks for kysely_migration in every schema of the database and, finding another schema's, never
  // creates ours: two deployments (or test runs) sharing one database in separate schemas would break each other.
  const migrationTableSchema =
    dialect === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
      : undefined;
  const migrator = new Migrator({ db, provider: codeMigrations(dialect), migrationTableSchema });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (!error)
      return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
    if (attempt < MIGRATION_ATTEMPTS && vanishedUnderCatalogScan(error, migrationTableSchema)) continue;
    throw new Error(`database migration failed: ${(error as Error).message}`, { cause: error });
  }
}

const MIGRATION_ATTEMPTS = 3;

/**
 * kysely finds its bookkeeping tables by reading the columns of every schema in the database, and PostgreSQL fails
 * that query (3F000 invalid_schema_name, 42P01 undefined_table) when another schema or table is dropped while it
 * runs: another deployment sharing the database, or a test dropping its schema. Nothing of ours was touched (the
 * migrations run in one transaction after that check), so the migration is tried again. An error naming our own
 * schema is a real one.
 */
export function vanishedUnderCatalogScan(error: unknown, ownSchema: string | undefined): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (ownSchema === undefined || (code !== '3F000' && code !== '42P01') || typeof message !== 'string') return false;
  return !message.includes(`"${ownSchema}"`) && !message.includes(`"${ownSchema}.`);
}

function codeMigrations(dialect: Dialect): MigrationProvider {
  return { getMigrations: async () => migrations(dialect) };
}

export function migrations(dialect: Dialect): Record<string, Migration> {
  // Auto-incrementing integer keys are spelled differently by the two dialects.
  const idType = dialect === 'postgres' ? 'serial' : 'integer';
  const autoIncrement = dialect === 'sqlite';
  return {
    '0001-initial': {
      async up(db: MigrationDb) {
        await db.schema
          .createTable('charge_points')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('password_hash', 'text')
          .addColumn('vendor', 'text')
          .addColumn('model', 'text')
          .addColumn('serial_number', 'text')
          .addColumn('firmware_version', 'text')
          .addColumn('iccid', 'text')
          .addColumn('imsi', 'text')
          .addColumn('meter_type', 'text')
          .addColumn('meter_serial_number', 'text')
          .addColumn('firmware_status', 'text')
          .addColumn('diagnostics_status', 'text')
          .addColumn('registered_at', 'text', (c) => c.notNull())
          .addColumn('last_boot_at', 'text')
          .addColumn('last_heartbeat_at', 'text')
          .execute();

        await db.schema
          .createTable('connectors')
          .addColumn('charge_point_id', 'text', (c) => c.notNull().references('charge_points.id').onDelete('cascade'))
          .addColumn('connector_id', 'integer', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('error_code', 'text', (c) => c.notNull())
          .addColumn('info', 'text')
          .addColumn('vendor_error_code', 'text')
          .addColumn('status_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('connectors_pk', ['charge_point_id', 'connector_id'])
          .execute();

        await db.schema
          .createTable('status_history')
          .addColumn('id', idType, (c) => (autoIncrement ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn('charge_point_id', 'text', (c) => c.notNull().references('charge_points.id').onDelete('cascade'))
          .addColumn('connector_id', 'integer', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('error_code', 'text', (c) => c.notNull())
          .addColumn('info', 'text')
          .addColumn('vendor_error_code', 'text')
          .addColumn('status_at', 'text', (c) => c.notNull())
          .addColumn('received_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('status_history_by_connector')
          .on('status_history')
          .columns(['charge_point_id', 'connector_id', 'id'])
          .execute();

        await db.schema
          .createTable('id_tags')
          .addColumn('id_tag', 'text', (c) => c.primaryKey())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('expiry_date', 'text')
          .addColumn('parent_id_tag', 'text')
          .execute();

        // No foreign key to charge_points: removing a charge point must not erase its billing records.
        await db.schema
          .createTable('transactions')
          .addColumn('id', idType, (c) => (autoIncrement ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn('charge_point_id', 'text', (c) => c.notNull())
          .addColumn('connector_id', 'integer', (c) => c.notNull())
          .addColumn('id_tag', 'text', (c) => c.notNull())
          .addColumn('reservation_id', 'integer')
          .addColumn('meter_start', 'bigint', (c) => c.notNull())
          .addColumn('start_time', 'text', (c) => c.notNull())
          .addColumn('meter_stop', 'bigint')
          .addColumn('stop_time', 'text')
          .addColumn('stop_reason', 'text')
          .addColumn('stop_id_tag', 'text')
          .execute();
        await db.schema
          .createIndex('transactions_by_charge_point')
          .on('transactions')
          .columns(['charge_point_id', 'id'])
          .execute();

        await db.schema
          .createTable('meter_values')
          .addColumn('id', idType, (c) => (autoIncrement ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn('charge_point_id', 'text', (c) => c.notNull())
          .addColumn('connector_id', 'integer', (c) => c.notNull())
          .addColumn('transaction_id', 'integer', (c) => c.references('transactions.id').onDelete('set null'))
          .addColumn('sampled_at', 'text', (c) => c.notNull())
          .addColumn('value', 'text', (c) => c.notNull())
          .addColumn('measurand', 'text')
          .addColumn('unit', 'text')
          .addColumn('context', 'text')
          .addColumn('location', 'text')
          .addColumn('phase', 'text')
          .addColumn('format', 'text')
          .execute();
        await db.schema
          .createIndex('meter_values_by_transaction')
          .on('meter_values')
          .columns(['transaction_id', 'id'])
          .execute();

        await db.schema
          .createTable('message_log')
          .addColumn('id', idType, (c) => (autoIncrement ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn('charge_point_id', 'text', (c) => c.notNull())
          .addColumn('direction', 'text', (c) => c.notNull())
          .addColumn('message_type', 'integer')
          .addColumn('message_id', 'text')
          .addColumn('action', 'text')
          .addColumn('frame', 'text', (c) => c.notNull())
          .addColumn('logged_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('message_log_by_charge_point')
          .on('message_log')
          .columns(['charge_point_id', 'id'])
          .execute();
      },
      async down(db: MigrationDb) {
        for (const table of [
          'message_log',
          'meter_values',
          'transactions',
          'id_tags',
          'status_history',
          'connectors',
          'charge_points',
        ]) {
          await sql`drop table if exists ${sql.table(table)}`.execute(db);
        }
      },
    },
    // Issue 15: the tolerant validation policy's record (per charger: its mode, a count, the last violations).
    '0150-schema-violations': {
      async up(db: MigrationDb) {
        await db.schema.alterTable('charge_points').addColumn('ocpp_validation', 'text').execute();
        await db.schema
          .alterTable('charge_points')
          .addColumn('schema_violations', 'bigint', (c) => c.notNull().defaultTo(0))
          .execute();
        await db.schema.alterTable('charge_points').addColumn('last_schema_violation_at', 'text').execute();
        await db.schema
          .createTable('schema_violations')
          .addColumn('id', idType, (c) => (autoIncrement ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn('charge_point_id', 'text', (c) => c.notNull().references('charge_points.id').onDelete('cascade'))
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('message_id', 'text')
          .addColumn('path', 'text', (c) => c.notNull())
          .addColumn('keyword', 'text', (c) => c.notNull())
          .addColumn('rule', 'text', (c) => c.notNull())
          .addColumn('repair', 'text', (c) => c.notNull())
          .addColumn('raw', 'text')
          .addColumn('received_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('schema_violations_by_charge_point')
          .on('schema_violations')
          .columns(['charge_point_id', 'id'])
          .execute();
      },
    },
    // Issue 15: transactions that survive retransmission (a unique start key) and carry flags for suspect data.
    '0150-transaction-flags': {
      async up(db: MigrationDb) {
        // Null for transactions stored before this migration, which may already hold duplicates.
        await db.schema.alterTable('transactions').addColumn('start_key', 'text').execute();
        await db.schema.alterTable('transactions').addColumn('flags', 'text').execute();
        await db.schema
          .createIndex('transactions_by_start_key')
          .on('transactions')
          .columns(['charge_point_id', 'start_key'])
          .unique()
          .execute();
        await db.schema
          .createIndex('transactions_open_by_connector')
          .on('transactions')
          .columns(['charge_point_id', 'connector_id', 'stop_time'])
          .execute();
        await db.schema.alterTable('meter_values').addColumn('flags', 'text').execute();
        // A StopTransaction for a transaction we do not know: answered, and kept here.
        await db.schema
          .createTable('unmatched_stops')
          .addColumn('id', idType, (c) => (autoIncrement ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn('charge_point_id', 'text', (c) => c.notNull())
          .addColumn('transaction_id', 'bigint', (c) => c.notNull())
          .addColumn('meter_stop', 'bigint', (c) => c.notNull())
          .addColumn('stop_time', 'text', (c) => c.notNull())
          .addColumn('stop_reason', 'text')
          .addColumn('id_tag', 'text')
          .addColumn('received_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('unmatched_stops_by_charge_point')
          .on('unmatched_stops')
          .columns(['charge_point_id', 'id'])
          .execute();
      },
    },
    // OCPP security profiles (backend/security/security-profile.ts): 0 for every charge point there is, as before.
    '0160-1-security-profile': {
      async up(db: MigrationDb) {
        await db.schema
          .alterTable('charge_points')
          .addColumn('security_profile', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
      },
      async down(db: MigrationDb) {
        await db.schema.alterTable('charge_points').dropColumn('security_profile').execute();
      },
    },
    // What chargers send under the OCPP 1.6 security extension (backend/ocpp/security.ts): security events, CSRs
    // and the certificates signed for them, the log-upload and signed-firmware status histories, and the
    // certificates each charger reported as installed. All go with their charge point.
    '0160-2-security-messages': {
      async up(db: MigrationDb) {
        const chargePoint = (c: ColumnDefinitionBuilder) =>
          c.notNull().references('charge_points.id').onDelete('cascade');
        await db.schema
          .createTable('security_events')
          .addColumn('id', idType, (c) => (autoIncrement ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn('charge_point_id', 'text', chargePoint)
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('event_at', 'text', (c) => c.notNull())
          .addColumn('tech_info', 'text')
          .addColumn('critical', 'integer', (c) => c.notNull())
          .addColumn('received_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('security_events_by_charge_point')
          .on('security_events')
          .columns(['charge_point_id', 'id'])
          .execute();

        await db.schema
          .createTable('certificate_requests')
          .addColumn('id', idType, (c) => (autoIncrement ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn('charge_point_id', 'text', chargePoint)
          .addColumn('csr', 'text', (c) => c.notNull())
          .addColumn('subject', 'text', (c) => c.notNull())
          .addColumn('key_type', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('detail', 'text')
          .addColumn('certificate_chain', 'text')
          .addColumn('received_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('certificate_requests_by_charge_point')
          .on('certificate_requests')
          .columns(['charge_point_id', 'id'])
          .execute();

        await db.schema
          .createTable('security_status_history')
          .addColumn('id', idType, (c) => (autoIncrement ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn('charge_point_id', 'text', chargePoint)
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('request_id', 'integer')
          .addColumn('received_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('security_status_history_by_charge_point')
          .on('security_status_history')
          .columns(['charge_point_id', 'kind', 'id'])
          .execute();

        await db.schema
          .createTable('installed_certificates')
          .addColumn('charge_point_id', 'text', chargePoint)
          .addColumn('certificate_type', 'text', (c) => c.notNull())
          .addColumn('hash_algorithm', 'text', (c) => c.notNull())
          .addColumn('issuer_name_hash', 'text', (c) => c.notNull())
          .addColumn('issuer_key_hash', 'text', (c) => c.notNull())
          .addColumn('serial_number', 'text', (c) => c.notNull())
          .addColumn('reported_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('installed_certificates_by_charge_point')
          .on('installed_certificates')
          .columns(['charge_point_id', 'certificate_type'])
          .execute();
      },
      async down(db: MigrationDb) {
        for (const table of [
          'installed_certificates',
          'security_status_history',
          'certificate_requests',
          'security_events',
        ])
          await sql`drop table if exists ${sql.table(table)}`.execute(db);
      },
    },
    // Password rotation (backend/api/charge-points.ts, rotate-password): the new key's hash waits here from the
    // charger's Accepted until it logs in with it; the old one keeps working meanwhile.
    '0160-3-pending-password': {
      async up(db: MigrationDb) {
        await db.schema.alterTable('charge_points').addColumn('pending_password_hash', 'text').execute();
      },
      async down(db: MigrationDb) {
        await db.schema.alterTable('charge_points').dropColumn('pending_password_hash').execute();
      },
    },
    ...featureMigrations(dialect),
    '0200-ocpp201': {
      async up(db: MigrationDb) {
        await addOcpp201(db, dialect, idType, autoIncrement);
      },
    },
    // Raising a charger's security profile (backend/security/profile-migration.ts): each attempt and how it ended.
    '0210-security-profile-migrations': {
      async up(db: MigrationDb) {
        await db.schema
          .createTable('security_profile_migrations')
          .addColumn('id', idType, (c) => (autoIncrement ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn('charge_point_id', 'text', (c) => c.notNull().references('charge_points.id').onDelete('cascade'))
          .addColumn('from_profile', 'integer', (c) => c.notNull())
          .addColumn('to_profile', 'integer', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('detail', 'text')
          .addColumn('requested_at', 'text', (c) => c.notNull())
          .addColumn('deadline_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('security_profile_migrations_by_charge_point')
          .on('security_profile_migrations')
          .columns(['charge_point_id', 'id'])
          .execute();
      },
      async down(db: MigrationDb) {
        await sql`drop table if exists security_profile_migrations`.execute(db);
      },
    },
    // Issue 15: a retransmitted StartTransaction gets the status its first answer carried, whatever changed since.
    '0212-start-status': {
      async up(db: MigrationDb) {
        await db.schema.alterTable('transactions').addColumn('start_status', 'text').execute();
      },
      async down(db: MigrationDb) {
        await db.schema.alterTable('transactions').dropColumn('start_status').execute();
      },
    },
  };
}

/**
 * OCPP 2.0.1 beside 1.6 in the same tables (docs/OCPP.md): the version each charger speaks and may speak, 2.0.1
 * transactions (ids chosen by the charger, their events by seqNo, no meterStart: it comes from a meter value, so
 * meter_start may be null), per-connector status inside an EVSE, the device model and NotifyEvent.
 */
async function addOcpp201(db: MigrationDb, dialect: Dialect, idType: 'serial' | 'integer', autoIncrement: boolean) {
  const key = (c: ColumnDefinitionBuilder) => (autoIncrement ? c.primaryKey().autoIncrement() : c.primaryKey());
  for (const column of ['ocpp_version', 'ocpp_versions', 'boot_reason'])
    await db.schema.alterTable('charge_points').addColumn(column, 'text').execute();

  await db.schema.alterTable('status_history').addColumn('evse_connector_id', 'integer').execute();
  await db.schema
    .createTable('evse_connectors')
    .addColumn('charge_point_id', 'text', (c) => c.notNull().references('charge_points.id').onDelete('cascade'))
    .addColumn('evse_id', 'integer', (c) => c.notNull())
    .addColumn('connector_id', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('evse_connectors_pk', ['charge_point_id', 'evse_id', 'connector_id'])
    .execute();

  if (dialect === 'postgres') {
    await sql`alter table transactions alter column meter_start drop not null`.execute(db);
  } else {
    await dropNotNullInSqlite(db, 'transactions', 'meter_start');
  }
  await db.schema
    .alterTable('transactions')
    .addColumn('ocpp_version', 'text', (c) => c.notNull().defaultTo('1.6'))
    .execute();
  for (const [column, type] of [
    ['charger_transaction_id', 'text'],
    ['evse_connector_id', 'integer'],
    ['id_token_type', 'text'],
    ['charging_state', 'text'],
    ['remote_start_id', 'integer'],
  ] as const)
    await db.schema.alterTable('transactions').addColumn(column, type).execute();
  // Unique per charger (OCPP 2.0.1 E01: the Charging Station chooses the id); 1.6 rows have none (NULLs differ).
  await db.schema
    .createIndex('transactions_by_charger_transaction_id')
    .unique()
    .on('transactions')
    .columns(['charge_point_id', 'charger_transaction_id'])
    .execute();

  await db.schema
    .createTable('transaction_events')
    .addColumn('id', idType, key)
    .addColumn('transaction_id', 'integer', (c) => c.notNull().references('transactions.id').onDelete('cascade'))
    .addColumn('seq_no', 'integer', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('trigger_reason', 'text', (c) => c.notNull())
    .addColumn('event_time', 'text', (c) => c.notNull())
    .addColumn('offline', 'integer', (c) => c.notNull())
    .addColumn('charging_state', 'text')
    .addColumn('id_token', 'text')
    .addColumn('received_at', 'text', (c) => c.notNull())
    .execute();
  // A retransmitted event (same transaction, same seqNo) is recognised by this key and changes nothing.
  await db.schema
    .createIndex('transaction_events_by_seq_no')
    .unique()
    .on('transaction_events')
    .columns(['transaction_id', 'seq_no'])
    .execute();

  await db.schema
    .createTable('device_variables')
    .addColumn('charge_point_id', 'text', (c) => c.notNull().references('charge_points.id').onDelete('cascade'))
    .addColumn('variable_key', 'text', (c) => c.notNull())
    .addColumn('component', 'text', (c) => c.notNull())
    .addColumn('component_instance', 'text')
    .addColumn('evse_id', 'integer')
    .addColumn('evse_connector_id', 'integer')
    .addColumn('variable', 'text', (c) => c.notNull())
    .addColumn('variable_instance', 'text')
    .addColumn('attribute_type', 'text', (c) => c.notNull())
    .addColumn('value', 'text')
    .addColumn('mutability', 'text')
    .addColumn('persistent', 'integer')
    .addColumn('constant', 'integer')
    .addColumn('data_type', 'text')
    .addColumn('unit', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('device_variables_pk', ['charge_point_id', 'variable_key'])
    .execute();

  await db.schema
    .createTable('device_events')
    .addColumn('id', idType, key)
    .addColumn('charge_point_id', 'text', (c) => c.notNull().references('charge_points.id').onDelete('cascade'))
    .addColumn('event_id', 'integer', (c) => c.notNull())
    .addColumn('event_time', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('notification_type', 'text', (c) => c.notNull())
    .addColumn('component', 'text', (c) => c.notNull())
    .addColumn('component_instance', 'text')
    .addColumn('evse_id', 'integer')
    .addColumn('evse_connector_id', 'integer')
    .addColumn('variable', 'text', (c) => c.notNull())
    .addColumn('variable_instance', 'text')
    .addColumn('actual_value', 'text', (c) => c.notNull())
    .addColumn('cleared', 'integer', (c) => c.notNull())
    .addColumn('cause', 'integer')
    .addColumn('tech_code', 'text')
    .addColumn('tech_info', 'text')
    .addColumn('transaction_id', 'text')
    .addColumn('variable_monitoring_id', 'integer')
    .addColumn('received_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('device_events_by_charge_point')
    .on('device_events')
    .columns(['charge_point_id', 'id'])
    .execute();
}

/**
 * SQLite cannot drop a NOT NULL constraint in place; its documented way (sqlite.org/lang_altertable.html, "making
 * other kinds of table schema changes") is a new table from the edited definition, the rows copied, the old one
 * dropped and the new one renamed, with foreign keys off so the drop does not touch the rows that reference it.
 * The definition is read from sqlite_master, so columns added by any earlier migration are kept.
 */
async function dropNotNullInSqlite(db: MigrationDb, table: string, column: string): Promise<void> {
  const definition = await sql<{ sql: string }>`select sql from sqlite_master where type = 'table' and name = ${table}`
    .execute(db)
    .then((result) => result.rows[0]?.sql);
  if (!definition) throw new Error(`table ${table} not found`);
  const columnDefinition = new RegExp(`("${column}"\\s+\\w+)\\s+not null`, 'i');
  if (!columnDefinition.test(definition)) throw new Error(`${table}.${column} is not declared NOT NULL as expected`);
  const replacement = `${table}_0200`;
  const edited = definition
    .replace(columnDefinition, '$1')
    .replace(new RegExp(`^create table\\s+"?${table}"?`, 'i'), `create table "${replacement}"`);
  const indexes = await sql<{ sql: string }>`select sql from sqlite_master
    where type = 'index' and tbl_name = ${table} and sql is not null`
    .execute(db)
    .then((result) => result.rows.map((row) => row.sql));
  // AUTOINCREMENT's high-water mark, so an id once given out is never given again.
  const sequence = await sql<{ seq: number }>`select seq from sqlite_sequence where name = ${table}`
    .execute(db)
    .then((result) => result.rows[0]?.seq);
  // Outside a transaction (it is a no-op inside one); the migration runs on one connection.
  await sql`pragma foreign_keys = off`.execute(db);
  try {
    await sql`begin`.execute(db);
    try {
      await sql.raw(edited).execute(db);
      await sql.raw(`insert into "${replacement}" select * from "${table}"`).execute(db);
      await sql.raw(`drop table "${table}"`).execute(db);
      await sql.raw(`alter table "${replacement}" rename to "${table}"`).execute(db);
      for (const index of indexes) await sql.raw(index).execute(db);
      if (sequence !== undefined) {
        // The copy's own mark is the highest id left, never above the old one.
        await sql`delete from sqlite_sequence where name = ${table}`.execute(db);
        await sql`insert into sqlite_sequence (name, seq) values (${table}, ${sequence})`.execute(db);
      }
      const broken = await sql`pragma foreign_key_check`.execute(db);
      if (broken.rows.length > 0) throw new Error(`foreign keys broken after rebuilding ${table}`);
      await sql`commit`.execute(db);
    } catch (error) {
      await sql`rollback`.execute(db);
      throw error;
    }
  } finally {
    await sql`pragma foreign_keys = on`.execute(db);
  }
}

/** The migrations this build knows, in order: what a backup's schema version is checked against. */
export function knownMigrationNames(dialect: Dialect): string[] {
  return Object.keys(migrations(dialect)).sort();
}
