// Metrics of the cluster layer, registered only when --redis is set (a single instance has no Redis to report).

import { Counter, Gauge, type Registry } from 'prom-client';

export interface ClusterMetrics {
  /** 1 while this instance's Redis connections are ready, 0 while degraded. */
  redisUp: Gauge;
  /** Commands this instance sent to a charger held by another instance, by outcome. */
  routedCommands: Counter<'outcome'>;
}

export function createClusterMetrics(registry: Registry): ClusterMetrics {
  return {
    redisUp: new Gauge({
      name: 'ocpp_edge_redis_up',
      help: 'Whether this backend reaches Redis (1) or serves only its own charge points (0, degraded)',
      registers: [registry],
    }),
    routedCommands: new Counter({
      name: 'ocpp_edge_routed_commands_total',
      help: 'REST commands forwarded to the instance holding the charger, by outcome (answered, timeout, not_connected, call_error, unavailable, error)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}
