// Migrations of the features built on top of the Core tables (events out, configuration inventory, local lists,
// reservations, smart charging). Kept apart from migrations.ts so the features' tables do not crowd the Core
// ones; migrations.ts applies them all in name order. Never edit a released migration: add a new one.

import type { Kysely, Migration } from 'kysely';
import type { Dialect } from './database.js';

export function featureMigrations(dialect: Dialect): Record<string, Migration> {
  const idType = dialect === 'postgres' ? 'serial' : 'integer';
  const autoIncrement = dialect === 'sqlite';
  const id = (c: any) => (autoIncrement ? c.primaryKey().autoIncrement() : c.primaryKey());
  return {
    // Events out (backend/events/): the stored events behind /api/events and the durable webhook queue.
    '0190-events-out': {
      async up(db: Kysely<any>) {
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
      async down(db: Kysely<any>) {
        await db.schema.dropTable('webhook_deliveries').ifExists().execute();
        await db.schema.dropTable('webhook_subscriptions').ifExists().execute();
        await db.schema.dropTable('events').ifExists().execute();
      },
    },
    // Configuration inventory (backend/ocpp/configuration-inventory.ts): each charger's keys as last reported, and
    // every change seen, for the diff over time.
    '0190-configuration-inventory': {
      async up(db: Kysely<any>) {
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
      async down(db: Kysely<any>) {
        await db.schema.dropTable('configuration_history').ifExists().execute();
        await db.schema.dropTable('configuration_refreshes').ifExists().execute();
        await db.schema.dropTable('charge_point_configuration').ifExists().execute();
      },
    },
  };
}
