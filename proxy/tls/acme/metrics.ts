// ACME metrics. The expiry of what is actually served (ocpp_edge_certificate_expiry_timestamp_seconds) comes from
// the certificate store in proxy/metrics.ts; these say what the ACME machinery did and intends to do.

import { Counter, Gauge, type Registry } from 'prom-client';

export interface AcmeMetrics {
  /** Orders by result: success, failure. */
  orders: Counter<'result'>;
  /** When this process will next try to renew (or retry), per primary domain, Unix seconds. */
  nextRenewal: Gauge<'domain'>;
  /** The CA's suggested renewal window (ARI, RFC 9773) for the live certificate, per primary domain, Unix seconds. */
  ariWindowStart: Gauge<'domain'>;
  ariWindowEnd: Gauge<'domain'>;
}

export function createAcmeMetrics(registry: Registry): AcmeMetrics {
  // Idempotent per registry: the source and a `certs` command in tests may share one.
  const existingOrders = registry.getSingleMetric('ocpp_edge_acme_orders_total') as Counter<'result'> | undefined;
  const existingNext = registry.getSingleMetric('ocpp_edge_acme_next_renewal_timestamp_seconds') as
    | Gauge<'domain'>
    | undefined;
  const orders =
    existingOrders ??
    new Counter({
      name: 'ocpp_edge_acme_orders_total',
      help: 'ACME certificate orders by result (success, failure)',
      labelNames: ['result'] as const,
      registers: [registry],
    });
  const nextRenewal =
    existingNext ??
    new Gauge({
      name: 'ocpp_edge_acme_next_renewal_timestamp_seconds',
      help: 'When this process next renews (or retries after a failure) the certificate of each primary domain, Unix seconds',
      labelNames: ['domain'] as const,
      registers: [registry],
    });
  const windowGauge = (edge: 'start' | 'end') => {
    const name = `ocpp_edge_acme_ari_window_${edge}_timestamp_seconds`;
    return (
      (registry.getSingleMetric(name) as Gauge<'domain'> | undefined) ??
      new Gauge({
        name,
        help: `The ${edge} of the renewal window the CA suggests (ARI) for the live certificate of each primary domain, Unix seconds`,
        labelNames: ['domain'] as const,
        registers: [registry],
      })
    );
  };
  // Both results exist from the start, so rate() and alerts work before the first failure.
  orders.inc({ result: 'success' }, 0);
  orders.inc({ result: 'failure' }, 0);
  return { orders, nextRenewal, ariWindowStart: windowGauge('start'), ariWindowEnd: windowGauge('end') };
}
