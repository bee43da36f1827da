// Events out, assembled: the recorder stores what the bus emits, the hub streams stored events to /api/events
// clients, the dispatcher delivers the webhook queue, and old events are pruned after the retention time.

import type { Registry } from 'prom-client';
import type { Logger } from '../../common/logger.js';
import { EventStore } from '../store/event-store.js';
import type { Store } from '../store/store.js';
import type { EventBus } from './bus.js';
import { EventStreamHub } from './event-stream.js';
import { createEventMetrics } from './metrics.js';
import { EventRecorder } from './recorder.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';

export interface EventsOutOptions {
  bus: EventBus;
  store: Store;
  registry: Registry;
  logger: Logger;
  userAgent: string;
  /** Hours events are kept for Last-Event-ID resume (and finished deliveries in the log). */
  retentionHours: number;
  /** How often the stream and the dispatcher look for other instances' events and due retries, ms. */
  pollIntervalMs: number;
  webhookTimeoutMs: number;
  webhookMaxAttempts: number;
  webhookRetryBaseMs: number;
  /** SSE comment line sent to idle clients so proxies and browsers keep the stream open, ms. */
  keepAliveMs: number;
}

const PRUNE_EVERY_MS = 10 * 60_000;

export class EventsOut {
  readonly store: EventStore;
  readonly hub: EventStreamHub;
  readonly keepAliveMs: number;
  private readonly recorder: EventRecorder;
  private readonly dispatcher: WebhookDispatcher;
  private readonly pruneTimer: NodeJS.Timeout;

  constructor(private readonly options: EventsOutOptions) {
    const logger = options.logger.child({ component: 'events' });
    const metrics = createEventMetrics(options.registry);
    this.keepAliveMs = options.keepAliveMs;
    this.store = new EventStore(options.store);
    this.hub = new EventStreamHub({
      store: this.store,
      dialect: options.store.dialect,
      metrics,
      logger,
      pollIntervalMs: options.pollIntervalMs,
    });
    this.dispatcher = new WebhookDispatcher({
      store: this.store,
      metrics,
      logger,
      userAgent: options.userAgent,
      pollIntervalMs: options.pollIntervalMs,
      timeoutMs: options.webhookTimeoutMs,
      maxAttempts: options.webhookMaxAttempts,
      retryBaseMs: options.webhookRetryBaseMs,
    });
    this.recorder = new EventRecorder({
      bus: options.bus,
      store: this.store,
      metrics,
      logger,
      onStored: () => {
        this.hub.wake();
        this.dispatcher.wake();
      },
    });
    this.dispatcher.start();
    this.pruneTimer = setInterval(() => void this.prune(), PRUNE_EVERY_MS).unref();
  }

  /** Resolves when every event emitted so far is stored. */
  flushed(): Promise<void> {
    return this.recorder.flushed();
  }

  async prune(): Promise<void> {
    const before = new Date(Date.now() - this.options.retentionHours * 3_600_000).toISOString();
    try {
      const pruned = await this.store.prune(before);
      if (pruned > 0) this.options.logger.info({ pruned, before }, 'old events pruned');
    } catch (error) {
      this.options.logger.warn({ err: error }, 'pruning old events failed; next try later');
    }
  }

  async close(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.recorder.close();
    this.hub.close();
    await this.dispatcher.stop();
  }
}
