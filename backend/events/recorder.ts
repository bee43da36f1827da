// Stores what the bus emits: events are gathered for a moment and written in one transaction per batch (a boot
// storm's thousand events cost a few commits, not a thousand), each with its webhook deliveries queued. Writing is
// off the OCPP answer path: a charger is never kept waiting for an event to be stored.
//
// While storage is unavailable events wait in memory (up to maxBuffered; beyond, new ones are dropped and
// counted) and the write is retried. Events emitted in the last few milliseconds before a crash are lost.

import type { Logger } from '../../common/logger.js';
import type { EventStore } from '../store/event-store.js';
import type { EventBus } from './bus.js';
import type { EventMetrics } from './metrics.js';
import type { PendingEvent, StoredEvent } from './types.js';

export interface EventRecorderOptions {
  bus: EventBus;
  store: EventStore;
  metrics: EventMetrics;
  logger: Logger;
  /** Heard after each batch is stored (the SSE hub, the webhook dispatcher: deliver now, not at the next poll). */
  onStored?: (events: StoredEvent[]) => void;
  /** How long an event may wait for others to share its commit, ms. */
  batchDelayMs?: number;
  maxBatch?: number;
  maxBuffered?: number;
  retryDelayMs?: number;
}

export class EventRecorder {
  private buffer: PendingEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(private readonly options: EventRecorderOptions) {
    this.unsubscribe = options.bus.subscribe((event) => this.add(event));
  }

  /** Writes what is buffered and stops listening. */
  async close(): Promise<void> {
    this.unsubscribe();
    this.closed = true;
    clearTimeout(this.timer);
    await this.writing;
    if (this.buffer.length > 0) await this.write().catch(() => {});
  }

  /** Resolves when everything heard so far is stored (tests, shutdown). */
  async flushed(): Promise<void> {
    while (this.buffer.length > 0 || this.writing) {
      if (!this.writing) this.schedule(0);
      await (this.writing ?? new Promise((resolve) => setTimeout(resolve, 5)));
    }
  }

  private add(event: PendingEvent): void {
    const { maxBuffered = 10_000 } = this.options;
    // The newest are dropped, not the oldest: a batch being written is the buffer's head.
    if (this.buffer.length >= maxBuffered) this.options.metrics.dropped.inc();
    else this.buffer.push(event);
    this.schedule(this.options.batchDelayMs ?? 20);
  }

  private schedule(delayMs: number): void {
    if (this.timer || this.writing || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writing = this.write()
        .catch((error: unknown) => {
          this.options.logger.error(
            { err: error, buffered: this.buffer.length },
            'events could not be stored; retrying',
          );
          this.retryLater = true;
        })
        .finally(() => {
          this.writing = undefined;
          if (this.buffer.length > 0) this.schedule(this.retryLater ? (this.options.retryDelayMs ?? 1000) : 0);
          this.retryLater = false;
        });
    }, delayMs);
  }

  private retryLater = false;

  private async write(): Promise<void> {
    const batch = this.buffer.slice(0, this.options.maxBatch ?? 500);
    const stored = await this.options.store.record(batch, new Date().toISOString());
    // Removed only once stored: a failed write keeps them for the retry.
    this.buffer.splice(0, batch.length);
    for (const event of stored) this.options.metrics.recorded.inc({ type: event.type });
    this.options.onStored?.(stored);
  }
}
