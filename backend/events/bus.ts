// The in-process event bus. Whatever happens that the outside world may want to hear of (a charger connected, a
// transaction stopped, a reservation expired) is emitted here once, by the module that knows it; listeners (the
// event recorder that stores events for SSE and webhooks, metrics, features that react to others) subscribe.
//
// emit() never throws and never waits: an OCPP answer must not depend on who listens. A listener that throws or
// rejects is logged and the others still run.

import type { Logger } from '../../common/logger.js';
import type { EventPayloads, EventType, PendingEvent } from './types.js';

export type EventListener = (event: PendingEvent) => void | Promise<void>;

export class EventBus {
  private readonly listeners = new Set<EventListener>();

  constructor(
    private readonly logger?: Logger,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Tells every listener of this event. `occurredAt` defaults to now. */
  emit<T extends EventType>(type: T, data: EventPayloads[T], occurredAt?: string): void {
    const event: PendingEvent<T> = { type, occurredAt: occurredAt ?? this.clock().toISOString(), data };
    for (const listener of this.listeners) {
      try {
        const result = listener(event);
        if (result instanceof Promise) result.catch((error: unknown) => this.listenerFailed(type, error));
      } catch (error) {
        this.listenerFailed(type, error);
      }
    }
  }

  /** Subscribes to every event; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Subscribes to the events of one type, typed. */
  on<T extends EventType>(type: T, listener: (event: PendingEvent<T>) => void | Promise<void>): () => void {
    return this.subscribe((event) => (event.type === type ? listener(event as PendingEvent<T>) : undefined));
  }

  private listenerFailed(type: string, error: unknown): void {
    this.logger?.error({ err: error, eventType: type }, 'event listener failed');
  }
}
