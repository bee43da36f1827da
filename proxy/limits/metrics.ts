// Metrics of proxy/limits: every refusal by reason, bans by kind, the bans in force and the ceiling in use.

import { Counter, Gauge, type Registry } from 'prom-client';
import type { BanList } from './ban-list.js';

/**
 * max_connections: over the global ceiling (closed at accept); connection_rate, tls_handshakes: closed at accept;
 * connections_per_address: answered 503 (upgrade) or 429; api_rate: 429; body_size: 413; banned_address,
 * banned_charge_point: closed at accept or answered 429; accept_error: accept() itself failed (EMFILE, ENFILE).
 */
export type LimitReason =
  | 'max_connections'
  | 'connection_rate'
  | 'tls_handshakes'
  | 'connections_per_address'
  | 'api_rate'
  | 'body_size'
  | 'banned_address'
  | 'banned_charge_point'
  | 'accept_error';

export type LimitMetrics = ReturnType<typeof createLimitMetrics>;

export function createLimitMetrics(registry: Registry, bans: BanList, ceiling: () => number) {
  return {
    refusals: new Counter({
      name: 'ocpp_edge_limit_refusals_total',
      help: 'Connections and requests refused by the edge limits and bans, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    bans: new Counter({
      name: 'ocpp_edge_bans_total',
      help: 'Bans imposed after refused upgrades (401/403), by kind (address, charge_point)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    authFailures: new Counter({
      name: 'ocpp_edge_upgrade_auth_failures_total',
      help: 'WebSocket upgrades the central system refused with 401 or 403 (what bans count)',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    bansActive: new Gauge({
      name: 'ocpp_edge_bans_active',
      help: 'Bans in force now, by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
      collect() {
        this.set({ kind: 'address' }, bans.count('address'));
        this.set({ kind: 'charge_point' }, bans.count('charge_point'));
      },
    }),
    maxConnections: new Gauge({
      name: 'ocpp_edge_max_connections',
      help: 'The connection ceiling, shared by the HTTPS and HTTP listeners (--max-connections or derived from RLIMIT_NOFILE; -1: none)',
      registers: [registry],
      collect() {
        const value = ceiling();
        this.set(Number.isFinite(value) ? value : -1);
      },
    }),
  };
}
