// What a simulated charger says, version by version. The charger (charger.ts) owns the life of a charge point —
// connecting, booting, heartbeats, charging sessions, reconnects, resets — and asks its ChargerProtocol how each
// step is spelled on the wire: protocol-16.ts for OCPP 1.6-J, protocol-201.ts for OCPP 2.0.1. A protocol keeps no
// state of its own; what a transaction needs between messages (2.0.1's seqNo) lives on the transaction.

import type { OcppVersion } from './ocpp-mix.js';

/** The connector's state in 1.6 words; 2.0.1 says Occupied for the three in the middle. */
export type ConnectorStatus = 'Available' | 'Preparing' | 'Charging' | 'SuspendedEVSE' | 'Finishing' | 'Unavailable';
export type StopReason = 'Local' | 'Remote' | 'HardReset' | 'SoftReset' | 'UnlockCommand' | 'DeAuthorized';
/** Why a BootNotification is sent (2.0.1 BootReasonEnumType; 1.6 sends none). */
export type BootReason = 'PowerUp' | 'RemoteReset' | 'Triggered';

export interface BootAnswer {
  status: 'Accepted' | 'Pending' | 'Rejected';
  interval: number;
}

export interface ChargerTransaction {
  /** 1.6: the central system's number; 2.0.1: the charger's own string. */
  id: number | string;
  idTag: string;
  /** performance.now() at which the session ends on its own. */
  endsAt: number;
  stopReason?: StopReason;
  /** The stop in flight, shared by whoever ends the session first (its loop, or stop()). */
  stopCall?: Promise<void>;
  /** 2.0.1: the remote start it answers, and the next TransactionEvent's seqNo. */
  remoteStartId?: number;
  seqNo: number;
  /** The transaction's end as first made, sent again unchanged when the first attempt was lost (2.0.1). */
  ended?: Record<string, unknown>;
  /** The end happened, or its first attempt was lost, while the charger was offline: replayed as offline. */
  endedOffline?: boolean;
}

export interface MeterReading {
  wh: number;
  powerW: number;
  /** Per phase, A. */
  currentA: number;
}

/** What a protocol may use of its charger. */
export interface ProtocolSession {
  readonly identity: string;
  /** A call to the central system, counted and timed; throws on failure (already counted). */
  call<T = unknown>(action: string, payload: Record<string, unknown>): Promise<T>;
}

export interface ChargerProtocol {
  readonly version: OcppVersion;
  /** The WebSocket subprotocol offered. */
  readonly subprotocol: string;
  boot(session: ProtocolSession, reason: BootReason): Promise<BootAnswer>;
  heartbeat(session: ProtocolSession): Promise<void>;
  /** Connector 0 is the whole charger (1.6 only: 2.0.1 has no such status, nothing is sent). */
  status(session: ProtocolSession, connectorId: number, status: ConnectorStatus): Promise<void>;
  /** The id token's status ("Accepted", "Invalid", ...). */
  authorize(session: ProtocolSession, idTag: string): Promise<string>;
  /** Starts a session; the transaction exists (and is counted) once this resolves, whatever the status. */
  startTransaction(
    session: ProtocolSession,
    start: { idTag: string; remoteStartId?: number; endsAt: number; meter: MeterReading },
  ): Promise<{ transaction: ChargerTransaction; status: string }>;
  /** A periodic sample: of the transaction when one is given, else of the connector. */
  meterValues(
    session: ProtocolSession,
    transaction: ChargerTransaction | undefined,
    meter: MeterReading,
    trigger?: 'Periodic' | 'Trigger',
  ): Promise<void>;
  stopTransaction(session: ProtocolSession, transaction: ChargerTransaction, meter: MeterReading): Promise<void>;
  /** FirmwareStatusNotification / DiagnosticsStatusNotification (1.6) or LogStatusNotification (2.0.1), Idle. */
  idleStatus(session: ProtocolSession, message: string): Promise<void>;
}

export function sampleTime(): string {
  return new Date().toISOString();
}
