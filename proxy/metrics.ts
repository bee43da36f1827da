// The proxy's Prometheus metrics, registered once on the process registry (common/metrics.ts adds the default
// process metrics). Served only on the private metrics listener, never on the public ones.

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { HANDSHAKE_TOLERANCE_METRIC } from '../common/handshake-tolerance.js';
import type { CertificateStore } from './tls/types.js';
import type { UpstreamStates } from './upstream-pool.js';

export type ProxyMetrics = ReturnType<typeof createProxyMetrics>;

/** `upstreams`: the pool, read at scrape time (no bookkeeping on the request path). */
export function createProxyMetrics(registry: Registry, certificates: CertificateStore, upstreams?: UpstreamStates) {
  return {
    upstreamHealthy: new Gauge({
      name: 'ocpp_edge_upstream_healthy',
      help: 'Whether each --upstream is in the pool (1) or taken out by a failed health check (0)',
      labelNames: ['upstream'] as const,
      registers: [registry],
      collect() {
        for (const host of upstreams?.hosts ?? []) this.set({ upstream: host.label }, host.healthy ? 1 : 0);
      },
    }),
    upstreamSessions: new Gauge({
      name: 'ocpp_edge_upstream_ws_sessions',
      help: 'WebSocket sessions open or opening through each --upstream (what least-connections balances)',
      labelNames: ['upstream'] as const,
      registers: [registry],
      collect() {
        for (const host of upstreams?.hosts ?? []) this.set({ upstream: host.label }, host.sessions);
      },
    }),
    clientCertificates: new Counter({
      name: 'ocpp_edge_tls_client_certificates_total',
      help: 'TLS connections by client certificate verdict (SUCCESS, NONE, FAILED:REASON) and whether the session was resumed; counted once per connection, only with --client-ca',
      labelNames: ['result', 'resumed'] as const,
      registers: [registry],
    }),
    handshakeTolerances: new Counter({ ...HANDSHAKE_TOLERANCE_METRIC, registers: [registry] }),
    wsConnections: new Gauge({
      name: 'ocpp_edge_ws_connections',
      help: 'Proxied WebSocket sessions open now',
      registers: [registry],
    }),
    wsConnectionsBySubprotocol: new Gauge({
      name: 'ocpp_edge_ws_connections_by_subprotocol',
      help: 'Proxied WebSocket sessions open now, by the subprotocol the upstream chose (ocpp1.6, ocpp2.0.1, none, other)',
      labelNames: ['subprotocol'] as const,
      registers: [registry],
    }),
    plainWsConnections: new Gauge({
      name: 'ocpp_edge_plain_ws_connections',
      help: 'WebSocket sessions open now over plain ws:// on the HTTP listener (security profile 1, --plain-ocpp-on-http)',
      registers: [registry],
    }),
    plainWsSessions: new Counter({
      name: 'ocpp_edge_plain_ws_sessions_total',
      help: 'WebSocket sessions opened over plain ws:// on the HTTP listener (--plain-ocpp-on-http)',
      registers: [registry],
    }),
    wsSessions: new Counter({
      name: 'ocpp_edge_ws_sessions_total',
      help: 'WebSocket upgrade attempts by result (opened, rejected, upstream_error, timeout)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    httpRequests: new Counter({
      name: 'ocpp_edge_http_requests_total',
      help: 'HTTPS requests by route and response status',
      labelNames: ['route', 'status'] as const,
      registers: [registry],
    }),
    httpRequestDuration: new Histogram({
      name: 'ocpp_edge_http_request_duration_seconds',
      help: 'Time from request to the end of the response, by route',
      labelNames: ['route'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    upstreamErrors: new Counter({
      name: 'ocpp_edge_upstream_errors_total',
      help: 'Failed upstream exchanges by kind (refused, timeout, reset, other)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    tlsHandshakeErrors: new Counter({
      name: 'ocpp_edge_tls_handshake_errors_total',
      help: 'TLS handshakes that failed (bad protocol version, no shared cipher, garbage bytes...)',
      registers: [registry],
    }),
    certificateExpiry: new Gauge({
      name: 'ocpp_edge_certificate_expiry_timestamp_seconds',
      help: 'notAfter of the certificate served for each domain, in Unix seconds',
      labelNames: ['domain'] as const,
      registers: [registry],
      // Read from the store at scrape time, so renewals show without any bookkeeping.
      collect() {
        this.reset();
        for (const certificate of certificates.list()) {
          for (const name of certificate.names)
            this.set({ domain: name }, Math.floor(certificate.notAfter.getTime() / 1000));
        }
      },
    }),
    configReloads: new Counter({
      name: 'ocpp_edge_config_reloads_total',
      help: 'Reloads of certificates and configuration (SIGHUP or a change on disk) by result',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
  };
}
