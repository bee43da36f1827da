// The backend's Prometheus metrics, served at GET /metrics on its own port.

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { HANDSHAKE_TOLERANCE_METRIC } from '../common/handshake-tolerance.js';
import { createRegistry } from '../common/metrics.js';
import { CRITICAL_SECURITY_EVENT_TYPES } from './security/security-events.js';

export interface BackendMetrics {
  registry: Registry;
  connectedChargePoints: Gauge;
  /** Open charger connections by negotiated OCPP version ('1.6' includes chargers that offered no subprotocol). */
  connectionsByVersion: Gauge<'ocpp_version'>;
  /** OCPP calls by action; direction "in" from the charger, "out" to it. */
  ocppMessages: Counter<'action' | 'direction'>;
  /** Time to handle a charger's call (including its database commit), by action and outcome. */
  handlerDuration: Histogram<'action' | 'outcome'>;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  /** Schema violations the tolerant policy accepted in chargers' requests, by action and JSON-schema keyword. */
  schemaViolations: Counter<'action' | 'keyword'>;
  /** Handshakes on /ocpp/ accepted despite a known quirk (common/handshake-tolerance.ts). */
  handshakeTolerances: Counter<'kind'>;
  /** Refused WebSocket upgrades by reason (backend/security/upgrade-refusals.ts). */
  upgradeRefusals: Counter<'reason'>;
  /** Upgrades accepted, by the security profile the charger connected with. */
  upgradesAccepted: Counter<'security_profile'>;
  /** Chargers whose Basic auth password was their AuthorizationKey's hex text rather than its bytes (tolerated). */
  hexPasswords: Counter;
  /** SecurityEventNotification by type (whitepaper types, else "other") and criticality. */
  securityEvents: Counter<'type' | 'critical'>;
  /** SignCertificate CSRs and what became of them (rejected, pending, signed, accepted, refused). */
  certificateRequests: Counter<'result'>;
  /** Steps of raising charge points' security profiles (requested, accepted, rejected, confirmed, timed_out). */
  profileMigrations: Counter<'result'>;
}

export function createBackendMetrics(): BackendMetrics {
  const metrics = buildBackendMetrics();
  // Critical security event series exist from the start at 0, so the first event of a type is an increase for
  // Prometheus (OcppEdgeCriticalSecurityEvent); a series born at 1 would not be.
  for (const type of CRITICAL_SECURITY_EVENT_TYPES) metrics.securityEvents.inc({ type, critical: 'true' }, 0);
  // Likewise the failed migrations (OcppEdgeSecurityProfileMigrationFailed).
  for (const result of ['rejected', 'timed_out']) metrics.profileMigrations.inc({ result }, 0);
  return metrics;
}

function buildBackendMetrics(): BackendMetrics {
  const registry = createRegistry('backend');
  return {
    registry,
    connectedChargePoints: new Gauge({
      name: 'ocpp_edge_connected_charge_points',
      help: 'Charge points with an open OCPP WebSocket to this backend',
      registers: [registry],
    }),
    connectionsByVersion: new Gauge({
      name: 'ocpp_edge_charge_point_connections',
      help: 'Charge points connected to this backend, by the OCPP version they were served with',
      labelNames: ['ocpp_version'],
      registers: [registry],
    }),
    ocppMessages: new Counter({
      name: 'ocpp_edge_ocpp_messages_total',
      help: 'OCPP calls, by action and direction (in: from the charger, out: to the charger)',
      labelNames: ['action', 'direction'],
      registers: [registry],
    }),
    handlerDuration: new Histogram({
      name: 'ocpp_edge_ocpp_handler_duration_seconds',
      help: "Time to answer a charger's call, storage commit included",
      labelNames: ['action', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    httpRequests: new Counter({
      name: 'ocpp_edge_http_requests_total',
      help: 'REST API requests, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    schemaViolations: new Counter({
      name: 'ocpp_edge_ocpp_schema_violations_total',
      help: "Schema violations accepted (--ocpp-validation tolerant) in chargers' requests, by action and JSON-schema keyword",
      labelNames: ['action', 'keyword'],
      registers: [registry],
    }),
    handshakeTolerances: new Counter({ ...HANDSHAKE_TOLERANCE_METRIC, registers: [registry] }),
    upgradeRefusals: new Counter({
      name: 'ocpp_edge_upgrade_refusals_total',
      help: 'Charger WebSocket upgrades refused, by reason (invalid_identity, password_wrong, tls_required, certificate_invalid, ...)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    hexPasswords: new Counter({
      name: 'ocpp_edge_hex_authorization_keys_total',
      help: 'Upgrades accepted whose Basic auth password was the AuthorizationKey as hex text, not its bytes (a tolerated charger quirk)',
      registers: [registry],
    }),
    securityEvents: new Counter({
      name: 'ocpp_edge_security_events_total',
      help: 'SecurityEventNotification from chargers, by type (the whitepaper types, else "other") and whether the type is critical',
      labelNames: ['type', 'critical'],
      registers: [registry],
    }),
    certificateRequests: new Counter({
      name: 'ocpp_edge_certificate_requests_total',
      help: 'SignCertificate requests by result: rejected (CSR failed a check), pending (waits for an operator), signed, accepted or refused (by the charger in CertificateSigned)',
      labelNames: ['result'],
      registers: [registry],
    }),
    profileMigrations: new Counter({
      name: 'ocpp_edge_security_profile_migrations_total',
      help: 'Steps of raising a charge point security profile (ChangeConfiguration SecurityProfile): requested, accepted, rejected, confirmed (reconnected with the new profile), timed_out',
      labelNames: ['result'],
      registers: [registry],
    }),
    upgradesAccepted: new Counter({
      name: 'ocpp_edge_upgrades_accepted_total',
      help: 'Charger WebSocket upgrades accepted, by the security profile required of the charger (0-3)',
      labelNames: ['security_profile'],
      registers: [registry],
    }),
  };
}
