// GET /status on the proxy's private listener (common/edge-status.ts): the certificates served, the upstreams
// and the proxy's own metrics, for the console's Edge page. Built on request: nothing is kept for it.

import type { Registry } from 'prom-client';
import { metricSum, type EdgeStatus, type MetricSnapshot } from '../common/edge-status.js';
import type { CertificateStore } from './tls/types.js';
import type { UpstreamStates } from './upstream-pool.js';

export function edgeStatusReporter(registry: Registry, certificates: CertificateStore, upstreams: UpstreamStates) {
  const startedAt = new Date().toISOString();
  return async (): Promise<EdgeStatus> => {
    const metrics = ((await registry.getMetricsAsJSON()) as unknown as MetricSnapshot[])
      .filter((metric) => metric.name.startsWith('ocpp_edge_'))
      .map(({ name, type, values }) => ({ name, type: String(type), values }));
    return {
      process: 'proxy',
      pid: process.pid,
      startedAt,
      node: process.version,
      certificates: certificates.list().map((certificate) => {
        const forThis = (labels: Record<string, string | number>) =>
          typeof labels.domain === 'string' && certificate.names.includes(labels.domain);
        const renewal = metricSum(metrics, 'ocpp_edge_acme_next_renewal_timestamp_seconds', forThis);
        const windowStart = metricSum(metrics, 'ocpp_edge_acme_ari_window_start_timestamp_seconds', forThis);
        const windowEnd = metricSum(metrics, 'ocpp_edge_acme_ari_window_end_timestamp_seconds', forThis);
        return {
          names: certificate.names,
          issuer: certificate.issuer,
          serialNumber: certificate.serialNumber,
          notBefore: certificate.notBefore.toISOString(),
          notAfter: certificate.notAfter.toISOString(),
          origin: certificate.origin,
          nextRenewal: renewal > 0 ? new Date(renewal * 1000).toISOString() : undefined,
          ariWindow:
            windowEnd > 0
              ? { start: new Date(windowStart * 1000).toISOString(), end: new Date(windowEnd * 1000).toISOString() }
              : undefined,
        };
      }),
      upstreams: upstreams.hosts.map((host) => ({ url: host.label, healthy: host.healthy, sessions: host.sessions })),
      metrics,
    };
  };
}
