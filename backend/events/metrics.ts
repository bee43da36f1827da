// Metrics of events out, on the backend's registry.

import { Counter, Gauge, type Registry } from 'prom-client';

export interface EventMetrics {
  recorded: Counter<'type'>;
  /** Events dropped because storage stayed unavailable and the buffer filled. */
  dropped: Counter;
  deliveries: Counter<'outcome'>;
  pendingDeliveries: Gauge;
  streamClients: Gauge;
}

export function createEventMetrics(registry: Registry): EventMetrics {
  return {
    recorded: new Counter({
      name: 'ocpp_edge_events_recorded_total',
      help: 'Events stored for /api/events and webhooks, by type',
      labelNames: ['type'],
      registers: [registry],
    }),
    dropped: new Counter({
      name: 'ocpp_edge_events_dropped_total',
      help: 'Events lost because storage was unavailable while the buffer was full',
      registers: [registry],
    }),
    deliveries: new Counter({
      name: 'ocpp_edge_webhook_deliveries_total',
      help: 'Webhook delivery attempts by this instance, by outcome (delivered, retry, failed)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    pendingDeliveries: new Gauge({
      name: 'ocpp_edge_webhook_pending_deliveries',
      help: 'Webhook deliveries waiting in the queue (all instances), sampled by each dispatcher',
      registers: [registry],
    }),
    streamClients: new Gauge({
      name: 'ocpp_edge_event_stream_clients',
      help: 'Clients of the Server-Sent Events stream /api/events on this instance',
      registers: [registry],
    }),
  };
}
