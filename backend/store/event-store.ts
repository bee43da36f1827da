// Storage of events out: the event log behind /api/events (ids that Last-Event-ID resumes from), webhook
// subscriptions, and the durable delivery queue the webhook dispatchers of every instance share.
//
// Claiming due deliveries is one statement that marks them leased (locked_until) and returns them; on PostgreSQL
// its inner select takes row locks with FOR UPDATE SKIP LOCKED, so instances claiming at the same moment get
// disjoint rows instead of waiting for each other. SQLite has one writer at a time, so the statement is atomic
// there by itself. A lease that lapses (an instance died mid-delivery) makes the row claimable again.

import { sql, type Kysely } from 'kysely';
import type { EventType, PendingEvent, StoredEvent } from '../events/types.js';
import type { Dialect } from './database.js';
import type { Store } from './store.js';

interface EventTable {
  id: number;
  type: string;
  charge_point_id: string | null;
  occurred_at: string;
  recorded_at: string;
  data: string;
}

interface WebhookSubscriptionTable {
  id: number;
  url: string;
  secret: string;
  event_types: string;
  description: string | null;
  enabled: number;
  created_at: string;
}

interface WebhookDeliveryTable {
  id: number;
  subscription_id: number;
  event_id: number;
  status: string;
  attempts: number;
  next_attempt_at: string;
  locked_until: string | null;
  last_attempt_at: string | null;
  last_error: string | null;
  last_status_code: number | null;
  delivered_at: string | null;
  created_at: string;
}

interface EventTables {
  events: EventTable;
  webhook_subscriptions: WebhookSubscriptionTable;
  webhook_deliveries: WebhookDeliveryTable;
}

export interface WebhookSubscription {
  id: number;
  url: string;
  /** The HMAC key deliveries are signed with. */
  secret: string;
  /** Types delivered; empty: every type. */
  eventTypes: EventType[];
  description: string | null;
  enabled: boolean;
  createdAt: string;
}

export type NewWebhookSubscription = Omit<WebhookSubscription, 'id' | 'createdAt'>;

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDelivery {
  id: number;
  subscriptionId: number;
  eventId: number;
  eventType: string | null;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string;
  lastAttemptAt: string | null;
  lastError: string | null;
  lastStatusCode: number | null;
  deliveredAt: string | null;
  createdAt: string;
}

/** A delivery claimed by this instance, with what it needs to send it. */
export interface ClaimedDelivery {
  id: number;
  /** Including the one about to be made. */
  attempt: number;
  url: string;
  secret: string;
  event: StoredEvent;
}

export interface DeliveryOutcome {
  id: number;
  now: string;
  delivered: boolean;
  statusCode?: number;
  error?: string;
  /** When not delivered: the next attempt's time, or undefined to give up (status failed). */
  retryAt?: string;
}

export class EventStore {
  private readonly db: Kysely<EventTables>;
  private readonly dialect: Dialect;

  constructor(store: Store) {
    this.db = store.db as unknown as Kysely<EventTables>;
    this.dialect = store.dialect;
  }

  // ---- events ----

  /**
   * Stores events (in order) and, in the same transaction, queues one delivery per event and matching enabled
   * subscription: an event is never stored without its deliveries, nor a delivery without its event.
   */
  async record(events: readonly PendingEvent[], now: string): Promise<StoredEvent[]> {
    if (events.length === 0) return [];
    return this.db.transaction().execute(async (trx) => {
      const rows = await trx
        .insertInto('events')
        .values(
          events.map((event) => ({
            type: event.type,
            charge_point_id: chargePointOf(event),
            occurred_at: event.occurredAt,
            recorded_at: now,
            data: JSON.stringify(event.data),
          })) as never,
        )
        .returning('id')
        .execute();
      const stored = events.map((event, index) => ({ ...event, id: Number(rows[index].id) }));
      const subscriptions = await trx
        .selectFrom('webhook_subscriptions')
        .select(['id', 'event_types'])
        .where('enabled', '=', 1)
        .execute();
      const deliveries = [];
      for (const subscription of subscriptions) {
        const types = JSON.parse(subscription.event_types) as string[];
        for (const event of stored) {
          if (types.length > 0 && !types.includes(event.type)) continue;
          deliveries.push({
            subscription_id: subscription.id,
            event_id: event.id,
            status: 'pending',
            attempts: 0,
            next_attempt_at: now,
            created_at: now,
          });
        }
      }
      // Chunked: SQLite allows at most 32766 bound parameters per statement.
      for (let start = 0; start < deliveries.length; start += 500)
        await trx
          .insertInto('webhook_deliveries')
          .values(deliveries.slice(start, start + 500) as never)
          .execute();
      return stored;
    });
  }

  /** Events with an id above afterId, oldest first. */
  async eventsAfter(afterId: number, limit: number): Promise<StoredEvent[]> {
    const rows = await this.db
      .selectFrom('events')
      .selectAll()
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(toEvent);
  }

  /** Events recorded since `since` with an id at or below `upToId`: the ones a concurrent writer committed late. */
  async lateEvents(since: string, upToId: number): Promise<StoredEvent[]> {
    const rows = await this.db
      .selectFrom('events')
      .selectAll()
      .where('recorded_at', '>=', since)
      .where('id', '<=', upToId)
      .orderBy('id')
      .execute();
    return rows.map(toEvent);
  }

  async lastEventId(): Promise<number> {
    const row = await this.db
      .selectFrom('events')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirst();
    return Number(row?.id ?? 0);
  }

  /** The oldest retained event's id (0 when none): a Last-Event-ID below it has lost events to retention. */
  async firstEventId(): Promise<number> {
    const row = await this.db
      .selectFrom('events')
      .select((eb) => eb.fn.min('id').as('id'))
      .executeTakeFirst();
    return Number(row?.id ?? 0);
  }

  /** Drops events recorded before `before` and the deliveries that are finished with them. */
  async prune(before: string): Promise<number> {
    await this.db
      .deleteFrom('webhook_deliveries')
      .where('created_at', '<', before)
      .where('status', '!=', 'pending')
      .execute();
    const pendingEventIds = this.db.selectFrom('webhook_deliveries').select('event_id').where('status', '=', 'pending');
    const result = await this.db
      .deleteFrom('events')
      .where('recorded_at', '<', before)
      .where('id', 'not in', pendingEventIds)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  // ---- subscriptions ----

  async createSubscription(subscription: NewWebhookSubscription, now: string): Promise<WebhookSubscription> {
    const row = await this.db
      .insertInto('webhook_subscriptions')
      .values({
        url: subscription.url,
        secret: subscription.secret,
        event_types: JSON.stringify(subscription.eventTypes),
        description: subscription.description,
        enabled: subscription.enabled ? 1 : 0,
        created_at: now,
      } as never)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toSubscription(row);
  }

  async listSubscriptions(): Promise<WebhookSubscription[]> {
    const rows = await this.db.selectFrom('webhook_subscriptions').selectAll().orderBy('id').execute();
    return rows.map(toSubscription);
  }

  async getSubscription(id: number): Promise<WebhookSubscription | undefined> {
    const row = await this.db.selectFrom('webhook_subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toSubscription(row);
  }

  async updateSubscription(
    id: number,
    changes: Partial<NewWebhookSubscription>,
  ): Promise<WebhookSubscription | undefined> {
    const set: Partial<WebhookSubscriptionTable> = {};
    if (changes.url !== undefined) set.url = changes.url;
    if (changes.secret !== undefined) set.secret = changes.secret;
    if (changes.eventTypes !== undefined) set.event_types = JSON.stringify(changes.eventTypes);
    if (changes.description !== undefined) set.description = changes.description;
    if (changes.enabled !== undefined) set.enabled = changes.enabled ? 1 : 0;
    if (Object.keys(set).length > 0)
      await this.db.updateTable('webhook_subscriptions').set(set).where('id', '=', id).execute();
    return this.getSubscription(id);
  }

  async deleteSubscription(id: number): Promise<boolean> {
    const result = await this.db.deleteFrom('webhook_subscriptions').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  // ---- deliveries ----

  /** Leases up to `limit` due deliveries until `lockUntil` and returns them with their event and endpoint. */
  async claimDue(now: string, lockUntil: string, limit: number): Promise<ClaimedDelivery[]> {
    const skipLocked = this.dialect === 'postgres' ? sql`for update skip locked` : sql``;
    const claimed = await sql<{ id: number; attempts: number; subscription_id: number; event_id: number }>`
      update webhook_deliveries set locked_until = ${lockUntil}, attempts = attempts + 1
      where id in (
        select id from webhook_deliveries
        where status = 'pending' and next_attempt_at <= ${now} and (locked_until is null or locked_until <= ${now})
        order by next_attempt_at, id
        limit ${limit}
        ${skipLocked}
      )
      returning id, attempts, subscription_id, event_id`.execute(this.db);
    if (claimed.rows.length === 0) return [];
    const eventIds = [...new Set(claimed.rows.map((row) => Number(row.event_id)))];
    const subscriptionIds = [...new Set(claimed.rows.map((row) => Number(row.subscription_id)))];
    const [events, subscriptions] = await Promise.all([
      this.db.selectFrom('events').selectAll().where('id', 'in', eventIds).execute(),
      this.db
        .selectFrom('webhook_subscriptions')
        .select(['id', 'url', 'secret'])
        .where('id', 'in', subscriptionIds)
        .execute(),
    ]);
    const eventById = new Map(events.map((row) => [Number(row.id), toEvent(row)]));
    const subscriptionById = new Map(subscriptions.map((row) => [Number(row.id), row]));
    const result: ClaimedDelivery[] = [];
    for (const row of claimed.rows) {
      const event = eventById.get(Number(row.event_id));
      const subscription = subscriptionById.get(Number(row.subscription_id));
      // Deleted under us (subscription removed, event pruned): nothing to send.
      if (!event || !subscription) continue;
      result.push({
        id: Number(row.id),
        attempt: Number(row.attempts),
        url: subscription.url,
        secret: subscription.secret,
        event,
      });
    }
    return result.sort((a, b) => a.event.id - b.event.id);
  }

  async recordOutcome(outcome: DeliveryOutcome): Promise<void> {
    await this.db
      .updateTable('webhook_deliveries')
      .set({
        status: outcome.delivered ? 'delivered' : outcome.retryAt ? 'pending' : 'failed',
        locked_until: null,
        last_attempt_at: outcome.now,
        last_status_code: outcome.statusCode ?? null,
        last_error: outcome.delivered ? null : (outcome.error ?? null),
        delivered_at: outcome.delivered ? outcome.now : null,
        ...(outcome.retryAt ? { next_attempt_at: outcome.retryAt } : {}),
      })
      .where('id', '=', outcome.id)
      .execute();
  }

  async listDeliveries(
    subscriptionId: number,
    filter: { status?: DeliveryStatus; limit: number; beforeId?: number },
  ): Promise<WebhookDelivery[]> {
    let query = this.db
      .selectFrom('webhook_deliveries as d')
      .leftJoin('events as e', 'e.id', 'd.event_id')
      .selectAll('d')
      .select('e.type as event_type')
      .where('d.subscription_id', '=', subscriptionId);
    if (filter.status) query = query.where('d.status', '=', filter.status);
    if (filter.beforeId !== undefined) query = query.where('d.id', '<', filter.beforeId);
    const rows = await query.orderBy('d.id', 'desc').limit(filter.limit).execute();
    return rows.map((row) => ({
      id: Number(row.id),
      subscriptionId: Number(row.subscription_id),
      eventId: Number(row.event_id),
      eventType: row.event_type ?? null,
      status: row.status as DeliveryStatus,
      attempts: Number(row.attempts),
      nextAttemptAt: row.next_attempt_at,
      lastAttemptAt: row.last_attempt_at,
      lastError: row.last_error,
      lastStatusCode: row.last_status_code === null ? null : Number(row.last_status_code),
      deliveredAt: row.delivered_at,
      createdAt: row.created_at,
    }));
  }

  /** Puts a delivery back in the queue, due now, with a fresh count of attempts. False when there is none. */
  async redeliver(subscriptionId: number, deliveryId: number, now: string): Promise<boolean> {
    const result = await this.db
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', attempts: 0, next_attempt_at: now, locked_until: null })
      .where('id', '=', deliveryId)
      .where('subscription_id', '=', subscriptionId)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async pendingDeliveries(): Promise<number> {
    const row = await this.db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}

function chargePointOf(event: PendingEvent): string | null {
  const data = event.data as { chargePointId?: unknown };
  return typeof data.chargePointId === 'string' ? data.chargePointId : null;
}

function toEvent(row: EventTable): StoredEvent {
  return {
    id: Number(row.id),
    type: row.type as EventType,
    occurredAt: row.occurred_at,
    data: JSON.parse(row.data),
  };
}

function toSubscription(row: WebhookSubscriptionTable): WebhookSubscription {
  return {
    id: Number(row.id),
    url: row.url,
    secret: row.secret,
    eventTypes: JSON.parse(row.event_types) as EventType[],
    description: row.description,
    enabled: Boolean(row.enabled),
    createdAt: row.created_at,
  };
}
