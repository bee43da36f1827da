// What the REST routes are given: storage, the connection registry, and the few settings they use.

import type { Logger } from '../../common/logger.js';
import type { ClusterHealth } from '../cluster/cluster-connections.js';
import type { EventBus } from '../events/bus.js';
import type { EventsOut } from '../events/events-out.js';
import type { Features } from '../features.js';
import type { BackendMetrics } from '../metrics.js';
import type { ConnectionRegistry } from '../ocpp/connections.js';
import type { ValidationModes } from '../ocpp/validation-modes.js';
import type { CertificateAuthority } from '../security/certificate-signing.js';
import type { ProfileMigrations } from '../security/profile-migration.js';
import type { TrustedProxies } from '../security/trusted-proxies.js';
import type { Store } from '../store/store.js';

export interface ApiContext {
  store: Store;
  connections: ConnectionRegistry;
  /** Present when this backend is one of several (--redis): its Redis status goes into /health. */
  cluster?: { health(): Promise<ClusterHealth> };
  metrics: BackendMetrics;
  logger: Logger;
  /** Emit what the API changes (reservations, group limits) here. */
  events: EventBus;
  /** Stored events, the SSE hub and webhook subscriptions. */
  eventsOut: EventsOut;
  /** Configuration inventory, local lists, reservations, smart charging. */
  features: Features;
  /** Wait for a charger's answer to a command before 504, ms. */
  callTimeoutMs: number;
  /** --ocpp-validation and its per-charger overrides (applied at once to chargers connected here). */
  validationModes: ValidationModes;
  /** --cpo-name: the O of profile-3 charger certificates; undefined: profile 3 cannot be set. */
  cpoName?: string;
  /** --trusted-proxy: a request from anywhere else with client-certificate headers is refused (403). */
  trustedProxies?: TrustedProxies;
  /** Raising charge points' security profiles (POST …/security-profile). */
  profileMigrations: ProfileMigrations;
  /** --cpo-ca-cert: signs CSRs itself (the API then has nothing to wait for). */
  certificateAuthority?: CertificateAuthority;
}

export function badRequest(message: string): { error: string; message: string } {
  return { error: 'BadRequest', message };
}

export function notFound(message: string): { error: string; message: string } {
  return { error: 'NotFound', message };
}

/** `PUT` without a body (`curl -X PUT …`) means "no changes": validate it as {}. */
export async function emptyBodyAsObject(request: { body: unknown }): Promise<void> {
  request.body ??= {};
}
