// The live side of /api/events: one hub per instance reads newly stored events (every instance's, from the
// database) and hands them to this instance's Server-Sent Events clients. It polls only while clients are
// connected; events stored by this instance wake it at once, other instances' arrive within the poll interval.
//
// Ids come from the database's sequence. On PostgreSQL two instances' transactions may commit out of id order (id
// 7 visible after id 8), so besides "id above the cursor" the hub reads the last few seconds' events at or below
// it and passes on those it has not seen yet. SQLite has one writer: its ids become visible in order.

import type { Logger } from '../../common/logger.js';
import type { Dialect } from '../store/database.js';
import type { EventStore } from '../store/event-store.js';
import type { EventMetrics } from './metrics.js';
import type { StoredEvent } from './types.js';

export interface StreamSubscriber {
  deliver(event: StoredEvent): void;
  /** The instance is shutting down: finish the response. */
  end(): void;
}

export interface EventStreamHubOptions {
  store: EventStore;
  dialect: Dialect;
  metrics: EventMetrics;
  logger: Logger;
  pollIntervalMs: number;
}

/** How far back late commits are looked for, ms. A transaction open longer than this may be missed. */
const LATE_WINDOW_MS = 10_000;
const PAGE = 1000;

export class EventStreamHub {
  private readonly subscribers = new Set<StreamSubscriber>();
  private cursor = 0;
  /** Ids passed on within the late window, with when they were: what the late read must not pass on again. */
  private readonly recent = new Map<number, number>();
  private starting: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(private readonly options: EventStreamHubOptions) {}

  /** Adds a subscriber; resolves once the hub follows the store, with the id it follows from. */
  async attach(subscriber: StreamSubscriber): Promise<number> {
    this.subscribers.add(subscriber);
    this.options.metrics.streamClients.set(this.subscribers.size);
    this.starting ??= this.start();
    await this.starting;
    return this.cursor;
  }

  detach(subscriber: StreamSubscriber): void {
    this.subscribers.delete(subscriber);
    this.options.metrics.streamClients.set(this.subscribers.size);
  }

  /** New events were stored here: read them now. */
  wake(): void {
    if (!this.starting || this.closed) return;
    if (this.polling) this.again = true;
    else this.schedule(0);
  }

  /** Stops following the store and ends every stream (shutdown: the HTTP server waits for open responses). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const subscriber of this.subscribers) subscriber.end();
    this.subscribers.clear();
  }

  private async start(): Promise<void> {
    for (;;) {
      try {
        this.cursor = await this.options.store.lastEventId();
        if (this.options.dialect === 'postgres') {
          const since = new Date(Date.now() - LATE_WINDOW_MS).toISOString();
          for (const event of await this.options.store.lateEvents(since, this.cursor))
            this.recent.set(event.id, Date.now());
        }
        break;
      } catch (error) {
        this.options.logger.error({ err: error }, 'event stream: storage unavailable; retrying');
        await new Promise((resolve) => setTimeout(resolve, this.options.pollIntervalMs));
        if (this.closed) return;
      }
    }
    this.schedule(this.options.pollIntervalMs);
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      // Idle while nobody listens; the next attach() or wake() resumes.
      if (this.subscribers.size === 0) {
        this.starting = undefined;
        this.recent.clear();
        return;
      }
      this.polling = this.poll()
        .catch((error: unknown) => this.options.logger.error({ err: error }, 'event stream: storage unavailable'))
        .finally(() => {
          this.polling = undefined;
          const again = this.again;
          this.again = false;
          this.schedule(again ? 0 : this.options.pollIntervalMs);
        });
    }, delayMs);
  }

  private async poll(): Promise<void> {
    const { store, dialect } = this.options;
    const now = Date.now();
    const fresh: StoredEvent[] = [];
    if (dialect === 'postgres') {
      const since = new Date(now - LATE_WINDOW_MS).toISOString();
      for (const event of await store.lateEvents(since, this.cursor)) if (!this.recent.has(event.id)) fresh.push(event);
    }
    for (;;) {
      const page = await store.eventsAfter(this.cursor, PAGE);
      fresh.push(...page);
      if (page.length > 0) this.cursor = page[page.length - 1].id;
      if (page.length < PAGE) break;
    }
    for (const event of fresh) {
      if (dialect === 'postgres') this.recent.set(event.id, now);
      for (const subscriber of this.subscribers) subscriber.deliver(event);
    }
    for (const [id, at] of this.recent) if (at < now - LATE_WINDOW_MS * 1.5) this.recent.delete(id);
  }
}
