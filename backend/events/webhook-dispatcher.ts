// Delivers the webhook queue (webhook_deliveries): each instance runs a dispatcher that claims due deliveries
// (leased, so no two instances send the same one), POSTs the event signed with the subscription's secret, and
// records the outcome: delivered on any 2xx, otherwise retried with exponential back-off (base × 2^(attempt-1),
// at most an hour, ±20 % jitter so a receiver coming back is not hit by every retry at once) until maxAttempts,
// then failed. Every attempt's status code or error is kept in the delivery log.
//
// A receiver sees each event once per subscription, unless an instance dies after the receiver answered and
// before the outcome was stored: then the lease lapses and another instance sends it again. Receivers should
// treat the ocpp-edge-event-id header as an idempotency key.

import type { Logger } from '../../common/logger.js';
import type { ClaimedDelivery, EventStore } from '../store/event-store.js';
import type { EventMetrics } from './metrics.js';
import { SIGNATURE_HEADER, signatureHeader } from './signature.js';

export interface WebhookDispatcherOptions {
  store: EventStore;
  metrics: EventMetrics;
  logger: Logger;
  userAgent: string;
  /** Time between two looks at the queue when it is idle, ms (new local events wake the dispatcher at once). */
  pollIntervalMs: number;
  /** Wait for a receiver's answer, ms. */
  timeoutMs: number;
  /** Attempts before a delivery is given up (failed). */
  maxAttempts: number;
  /** First retry's delay, ms. */
  retryBaseMs: number;
  /** Deliveries claimed (and sent in parallel) at a time. */
  batchSize?: number;
}

const MAX_RETRY_DELAY_MS = 3_600_000;
const MAX_ERROR_LENGTH = 500;

export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private lastGaugeAt = 0;

  constructor(private readonly options: WebhookDispatcherOptions) {}

  start(): void {
    this.schedule(0);
  }

  /** Looks at the queue now (events were just stored). */
  wake(): void {
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.drain()
        .catch((error: unknown) => this.options.logger.error({ err: error }, 'webhook queue unavailable'))
        .finally(() => {
          this.running = undefined;
          const again = this.again;
          this.again = false;
          this.schedule(again ? 0 : this.options.pollIntervalMs);
        });
    }, delayMs);
  }

  /** Sends due deliveries until none is left. */
  private async drain(): Promise<void> {
    const { store, batchSize = 20, timeoutMs } = this.options;
    for (;;) {
      if (this.stopped) return;
      const now = Date.now();
      // The lease outlasts the longest attempt, so nobody else claims a delivery still in flight.
      const claimed = await store.claimDue(
        new Date(now).toISOString(),
        new Date(now + timeoutMs + 30_000).toISOString(),
        batchSize,
      );
      await this.sampleQueue(now);
      if (claimed.length === 0) return;
      await Promise.all(claimed.map((delivery) => this.deliver(delivery)));
    }
  }

  private async deliver(delivery: ClaimedDelivery): Promise<void> {
    const { store, metrics, logger, maxAttempts, timeoutMs } = this.options;
    const body = JSON.stringify(delivery.event);
    let statusCode: number | undefined;
    let error: string | undefined;
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': this.options.userAgent,
          'ocpp-edge-event-id': String(delivery.event.id),
          'ocpp-edge-event-type': delivery.event.type,
          'ocpp-edge-delivery-attempt': String(delivery.attempt),
          [SIGNATURE_HEADER]: signatureHeader(delivery.secret, body, Math.floor(Date.now() / 1000)),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      statusCode = response.status;
      const text = await response.text().catch(() => '');
      if (statusCode < 200 || statusCode > 299)
        error = `HTTP ${statusCode}${text ? `: ${text.slice(0, MAX_ERROR_LENGTH)}` : ''}`;
    } catch (caught) {
      error = describeFetchError(caught, timeoutMs);
    }
    const delivered = error === undefined;
    const retryAt =
      !delivered && delivery.attempt < maxAttempts
        ? new Date(Date.now() + this.retryDelay(delivery.attempt)).toISOString()
        : undefined;
    const outcome = delivered ? 'delivered' : retryAt ? 'retry' : 'failed';
    metrics.deliveries.inc({ outcome });
    const log = {
      deliveryId: delivery.id,
      eventId: delivery.event.id,
      eventType: delivery.event.type,
      url: redactUrl(delivery.url),
      attempt: delivery.attempt,
      statusCode,
      err: error,
      retryAt,
    };
    if (delivered) logger.debug(log, 'webhook delivered');
    else if (retryAt) logger.warn(log, 'webhook delivery failed; will retry');
    else logger.error(log, 'webhook delivery failed; giving up');
    await store.recordOutcome({
      id: delivery.id,
      now: new Date().toISOString(),
      delivered,
      statusCode,
      error,
      retryAt,
    });
  }

  private retryDelay(attempt: number): number {
    const delay = Math.min(this.options.retryBaseMs * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS);
    return Math.round(delay * (0.8 + Math.random() * 0.4));
  }

  /** The queue-length gauge, at most every 10 s (it is a count over the table). */
  private async sampleQueue(now: number): Promise<void> {
    if (now - this.lastGaugeAt < 10_000) return;
    this.lastGaugeAt = now;
    this.options.metrics.pendingDeliveries.set(await this.options.store.pendingDeliveries());
  }
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  const { name, message, cause } = error as {
    name?: string;
    message?: string;
    cause?: { code?: string; message?: string };
  };
  if (name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const detail = cause?.code ?? cause?.message;
  return (detail ? `${message}: ${detail}` : (message ?? String(error))).slice(0, MAX_ERROR_LENGTH);
}

/** URLs may carry credentials (user:password@) or tokens in the query: log the origin and path only. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '[invalid url]';
  }
}
