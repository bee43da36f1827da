// Migrations of the features built on top of the Core tables (events out, configuration inventory, local lists,
// reservations, smart charging). Kept apart from migrations.ts so the features' tables do not crowd the Core
// ones; migrations.ts applies them all in name order. Never edit a released migration: add a new one.

import type { ColumnDefinitionBuilder, Kysely, Migration } from 'kysely';
import type { Dialect } from './database.js';

/** What a migration runs on: untyped, since a migration must not depend on today's schema (Kysely's guide). */
// biome-ignore lint/suspicious/noExplicitAny: see above; the one place these migrations get their database type
type MigrationDb = Kysely<any>;

export function featureMigrations(dialect: Dialect): Record<string, Migration> {
  const idType = dialect === 'postgres' ? 'serial' : 'integer';
  const autoIncrement = dialect === 'sqlite';
  const id = (c: ColumnDefinitionBuilder) => (autoIncrement ? c.primaryKey().autoIncrement() : c.primaryKey());
  return {
    // Events out (backend/events/): the stored events behind /api/events and the durable webhook queue.
    '0190-events-out': {
      async up(db: MigrationDb) {
        await db.schema
          .createTable('events')
          .addColumn('id', idType, id)
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('charge_point_id', 'text')
          .addColumn('occurred_at', 'text', (c) => c.notNull())
          .addColumn('recorded_at', 'text', (c) => c.notNull())
          .addColumn('data', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('events_by_recorded_at').on('events').column('recorded_at').execute();

        await db.schema
          .createTable('webhook_subscriptions')
          .addColumn('id', idType, id)
          .addColumn('url', 'text', (c) => c.notNull())
          .addColumn('secret', 'text', (c) => c.notNull())
          // JSON array of event types; [] means every type.
          .addColumn('event_types', 'text', (c) => c.notNull())
          .addColumn('description', 'text')
          .addColumn('enabled', 'integer', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('webhook_deliveries')
          .addColumn('id', idType, id)
          .addColumn('subscription_id', 'integer', (c) =>
            c.notNull().references('webhook_subscriptions.id').onDelete('cascade'),
          )
          .addColumn('event_id', 'integer', (c) => c.notNull())
          // pending, delivered, failed (gave up after the last attempt)
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull())
          .addColumn('next_attempt_at', 'text', (c) => c.notNull())
          // While an instance delivers it: nobody else claims it before this time (a crashed instance's claim lapses).
          .addColumn('locked_until', 'text')
          .addColumn('last_attempt_at', 'text')
          .addColumn('last_error', 'text')
          .addColumn('last_status_code', 'integer')
          .addColumn('delivered_at', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('webhook_deliveries_due')
          .on('webhook_deliveries')
          .columns(['status', 'next_attempt_at'])
          .execute();
        await db.schema
          .createIndex('webhook_deliveries_by_subscription')
          .on('webhook_deliveries')
          .columns(['subscription_id', 'id'])
          .execute();
      },
      async down(db: MigrationDb) {
        await db.schema.dropTable('webhook_deliveries').ifExists().execute();
        await db.schema.dropTable('webhook_subscriptions').ifExists().execute();
        await db.schema.dropTable('events').ifExists().execute();
      },
    },
    // Configuration inventory (backend/ocpp/configuration-inventory.ts): each charger's keys as last reported, and
    // every change seen, for the diff over time.
    '0190-configuration-inventory': {
      async up(db: MigrationDb) {
        await db.schema
          .createTable('charge_point_configuration')
          .addColumn('charge_point_id', 'text', (c) => c.notNull().references('charge_points.id').onDelete('cascade'))
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('value', 'text')
          .addColumn('readonly', 'integer', (c) => c.notNull())
          .addColumn('reported_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('charge_point_configuration_pk', ['charge_point_id', 'key'])
          .execute();
        await db.schema
          .createTable('configuration_refreshes')
          .addColumn('charge_point_id', 'text', (c) =>
            c.primaryKey().references('charge_points.id').onDelete('cascade'),
          )
          .addColumn('refreshed_at', 'text')
          .addColumn('unknown_keys', 'text', (c) => c.notNull())
          .addColumn('last_error', 'text')
          .addColumn('last_error_at', 'text')
          .execute();
        await db.schema
          .createTable('configuration_history')
          .addColumn('id', idType, id)
          .addColumn('charge_point_id', 'text', (c) => c.notNull().references('charge_points.id').onDelete('cascade'))
          .addColumn('key', 'text', (c) => c.notNull())
          // added, changed, removed
          .addColumn('change', 'text', (c) => c.notNull())
          .addColumn('old_value', 'text')
          .addColumn('new_value', 'text')
          .addColumn('readonly', 'integer', (c) => c.notNull())
          .addColumn('observed_at', 'text', (c) => c.notNull())
          // GetConfiguration (a full or partial read) or ChangeConfiguration (ours, Accepted)
          .addColumn('source', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('configuration_history_by_charge_point')
          .on('configuration_history')
          .columns(['charge_point_id', 'id'])
          .execute();
      },
      async down(db: MigrationDb) {
        await db.schema.dropTable('configuration_history').ifExists().execute();
        await db.schema.dropTable('configuration_refreshes').ifExists().execute();
        await db.schema.dropTable('charge_point_configuration').ifExists().execute();
      },
    },
    // Local authorization lists (backend/ocpp/local-lists.ts): per charger, the version it holds and the entries
    // we know it holds (what a differential update is computed against), and the state of its synchronisation.
    '0190-local-lists': {
      async up(db: MigrationDb) {
        await db.schema
          .createTable('local_list_sync')
          .addColumn('charge_point_id', 'text', (c) =>
            c.primaryKey().references('charge_points.id').onDelete('cascade'),
          )
          // The version of the last SendLocalList the charger accepted (0: none).
          .addColumn('list_version', 'integer', (c) => c.notNull())
          // What GetLocalListVersion last answered (-1: not supported).
          .addColumn('charger_version', 'integer')
          // Every entry is known to be on the charger (a Full update was completed at some point).
          .addColumn('complete', 'integer', (c) => c.notNull())
          // synced, pending, failed, unsupported, disabled
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('last_sync_at', 'text')
          .addColumn('last_attempt_at', 'text')
          .addColumn('last_error', 'text')
          .addColumn('failures', 'integer', (c) => c.notNull())
          .addColumn('next_attempt_at', 'text')
          .execute();
        await db.schema
          .createTable('local_list_entries')
          .addColumn('charge_point_id', 'text', (c) => c.notNull().references('charge_points.id').onDelete('cascade'))
          .addColumn('id_tag', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('expiry_date', 'text')
          .addColumn('parent_id_tag', 'text')
          .addPrimaryKeyConstraint('local_list_entries_pk', ['charge_point_id', 'id_tag'])
          .execute();
        await db.schema.createIndex('id_tags_by_parent').on('id_tags').column('parent_id_tag').execute();
      },
      async down(db: MigrationDb) {
        await db.schema.dropIndex('id_tags_by_parent').ifExists().execute();
        await db.schema.dropTable('local_list_entries').ifExists().execute();
        await db.schema.dropTable('local_list_sync').ifExists().execute();
      },
    },
    // Reservations (backend/ocpp/reservations.ts): the id is the reservationId sent in ReserveNow.
    '0190-reservations': {
      async up(db: MigrationDb) {
        await db.schema
          .createTable('reservations')
          .addColumn('id', idType, id)
          .addColumn('charge_point_id', 'text', (c) => c.notNull().references('charge_points.id').onDelete('cascade'))
          .addColumn('connector_id', 'integer', (c) => c.notNull())
          .addColumn('id_tag', 'text', (c) => c.notNull())
          .addColumn('parent_id_tag', 'text')
          .addColumn('expiry_date', 'text', (c) => c.notNull())
          // Requested, Accepted, Rejected, Occupied, Faulted, Unavailable, Used, Expired, Cancelled
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('transaction_id', 'integer')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('reservations_by_status')
          .on('reservations')
          .columns(['status', 'expiry_date'])
          .execute();
        await db.schema
          .createIndex('reservations_by_charge_point')
          .on('reservations')
          .columns(['charge_point_id', 'connector_id'])
          .execute();
      },
      async down(db: MigrationDb) {
        await db.schema.dropTable('reservations').ifExists().execute();
      },
    },
    // Smart charging (backend/ocpp/charging-profiles.ts, backend/smart-charging/): the profiles each charger holds
    // by our records (one row per chargingProfileId, with the charger's last answer), and the charging groups whose
    // limit is divided over their members' sessions.
    '0220-smart-charging': {
      async up(db: MigrationDb) {
        await db.schema
          .createTable('charging_profiles')
          .addColumn('id', idType, id)
          .addColumn('charge_point_id', 'text', (c) => c.notNull().references('charge_points.id').onDelete('cascade'))
          .addColumn('connector_id', 'integer', (c) => c.notNull())
          // The chargingProfileId the charger was given.
          .addColumn('profile_id', 'integer', (c) => c.notNull())
          .addColumn('stack_level', 'integer', (c) => c.notNull())
          .addColumn('purpose', 'text', (c) => c.notNull())
          .addColumn('transaction_id', 'integer')
          // The ChargingProfile as sent (JSON).
          .addColumn('profile', 'text', (c) => c.notNull())
          // The charger's answer: Accepted, Rejected, NotSupported; Failed (no answer: offline, timeout, CALLERROR).
          .addColumn('status', 'text', (c) => c.notNull())
          // api (an operator), or group:<id> (the group's balancer).
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('last_error', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('charging_profiles_by_profile_id', ['charge_point_id', 'profile_id'])
          .execute();
        await db.schema
          .createTable('charging_groups')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text')
          // In unit: A per phase, or W.
          .addColumn('limit_value', 'real', (c) => c.notNull())
          .addColumn('unit', 'text', (c) => c.notNull())
          .addColumn('phases', 'integer', (c) => c.notNull())
          .addColumn('voltage', 'real', (c) => c.notNull())
          // A per phase below which a session is paused instead.
          .addColumn('min_current', 'real', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('charging_group_members')
          // A charger is in one group at most.
          .addColumn('charge_point_id', 'text', (c) =>
            c.primaryKey().references('charge_points.id').onDelete('cascade'),
          )
          .addColumn('group_id', 'text', (c) => c.notNull().references('charging_groups.id').onDelete('cascade'))
          .addColumn('added_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('charging_group_members_by_group')
          .on('charging_group_members')
          .column('group_id')
          .execute();
      },
      async down(db: MigrationDb) {
        await db.schema.dropTable('charging_group_members').ifExists().execute();
        await db.schema.dropTable('charging_groups').ifExists().execute();
        await db.schema.dropTable('charging_profiles').ifExists().execute();
      },
    },
  };
}
