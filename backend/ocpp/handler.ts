// What an OCPP handler module exports: one function per action the charger may call, given the validated
// payload (strict mode ran before) and the context of the charge point that sent it.

import { createRPCError } from 'ocpp-rpc';
import type { Logger } from '../../common/logger.js';
import type { EventBus } from '../events/bus.js';
import type { BackendMetrics } from '../metrics.js';
import type { CertificateAuthority } from '../security/certificate-signing.js';
import type { DeviceReportSink } from './configuration-inventory.js';
import type { Reservations } from './reservations.js';
import type { Store } from '../store/store.js';
import type { SchemaViolation } from './tolerance/policy.js';
import { toUtc } from './timestamps.js';

export interface HandlerContext {
  chargePointId: string;
  store: Store;
  logger: Logger;
  /** Where handlers tell the outside world what happened (webhooks, /api/events). */
  events: EventBus;
  /** Consulted by StartTransaction (reserved connectors); absent in a central system without the feature. */
  reservations?: Reservations;
  /** Told after MeterValues are stored (a session drawing less may free some of its group's limit). */
  meterValuesStored?: (chargePointId: string) => void;
  /** Takes OCPP 2.0.1 NotifyReport parts into the configuration inventory; absent without the feature. */
  deviceReports?: DeviceReportSink;
  /** Seconds between heartbeats given to chargers at boot. */
  heartbeatInterval: number;
  /** Current time as stored: UTC ISO-8601. */
  now(): string;
  metrics: BackendMetrics;
  /** --cpo-name: the O of charger certificates and CSRs. */
  cpoName: string | undefined;
  /** --cpo-ca-cert/--cpo-ca-key: signs CSRs itself; undefined: they wait for an operator. */
  certificateAuthority: CertificateAuthority | undefined;
  /** Sends a call to this charger (after the current answer, when given to afterAnswer). */
  callCharger(action: string, payload: Record<string, unknown>): Promise<unknown>;
  /** Runs the task once the answer to the current call is on its way (a call to the charger must follow it). */
  afterAnswer(task: () => Promise<void>): void;
}

/** One call as received. */
export interface CallInfo {
  messageId: string;
  /** What the tolerant policy repaired in this payload (empty for a conformant one). */
  violations: readonly SchemaViolation[];
}

// Payloads are validated against the OCPP 1.6 schemas by strict mode before a handler sees them (in tolerant mode
// repaired first: the values in ocpp16-profile.ts's protectedPaths are always as the schema says), so each handler
// declares the payload type it gets.
// biome-ignore lint/suspicious/noExplicitAny: each handler declares its own payload type; a handler taking `unknown` would accept none of them
export type CallHandler = (payload: any, context: HandlerContext, call?: CallInfo) => Promise<Record<string, unknown>>;

export type ProfileHandlers = Readonly<Record<string, CallHandler>>;

/** A charger's timestamp as stored (UTC). Strict mode checked the format; this catches what it let through. */
export function utcTimestamp(text: string, field: string): string {
  const utc = toUtc(text);
  if (!utc) throw createRPCError('FormationViolation', `${field} is not a date and time: ${JSON.stringify(text)}`, {});
  return utc;
}
