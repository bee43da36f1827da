// Everything a simulation measures, in one place the chargers write to and progress/report read from. Counters
// are plain numbers and latencies go to fixed-size histograms, so memory stays flat over a 24-hour run.

import { performance } from 'node:perf_hooks';
import { LatencyHistogram } from '../../common/latency-histogram.js';

/** Calls the chargers made, by OCPP action. */
export interface ActionStats {
  sent: number;
  ok: number;
  failed: number;
  /** Round trip from the frame leaving to the answer arriving; queueing inside the charger is excluded. */
  rtt: LatencyHistogram;
}

/** What the chargers of one OCPP version did (the report's per-version counts). */
export interface VersionStats {
  chargers: number;
  /** Connected, and accepted, at least once. */
  connected: number;
  booted: number;
  transactionsStarted: number;
  transactionsStopped: number;
}

/** A StartTransaction or StopTransaction the central system answered: what a charger holds as acknowledged. */
export interface TransactionAck {
  charger: string;
  phase: 'started' | 'stopped';
  /** 1.6: the central system's number; 2.0.1: the charger's own string. */
  transactionId: number | string;
  /** meterStart of a start, meterStop of a stop (Wh): what the database must hold for it. */
  meterWh: number;
}

/** A point-in-time view for the live progress line. */
export interface ProgressSnapshot {
  elapsedMs: number;
  started: number;
  connected: number;
  booted: number;
  messages: number;
  errors: number;
  reconnects: number;
}

export class SimulationStats {
  readonly startedAt = performance.now();

  started = 0;
  /** Open connections now, and chargers whose boot was accepted that are connected now. */
  connected = 0;
  booted = 0;
  /** Chargers that connected, and that were accepted, at least once. */
  everConnected = 0;
  everBooted = 0;

  /** Attempt start to WebSocket open (TCP, TLS and HTTP upgrade), every successful attempt. */
  readonly connectTime = new LatencyHistogram();
  /** Charger start to its first accepted BootNotification, once per charger: what a boot storm waits for. */
  readonly bootTime = new LatencyHistogram();
  /** Connection lost (or closed by the server) to open again, every reconnect: what an outage costs a charger. */
  readonly reconnectTime = new LatencyHistogram();
  /** Told of every acknowledged start and stop (the chaos runner's ledger); unset, nothing is kept. */
  onTransaction?: (ack: TransactionAck) => void;

  readonly actions = new Map<string, ActionStats>();
  /** Calls from the central system the chargers answered, by action. */
  readonly callsAnswered = new Map<string, number>();
  /** Non-Accepted BootNotification and Authorize answers ("BootNotification Pending", "Authorize Invalid"). */
  readonly refusals = new Map<string, number>();
  readonly errors = new Map<string, number>();
  /** By OCPP version, in the order first seen. */
  readonly versions = new Map<string, VersionStats>();

  reconnects = 0;
  /** Established connections lost without the simulator asking (server close, network, ping timeout). */
  connectionsLost = 0;
  /**
   * Connections the server closed as planned: 1001 going away (a graceful restart or reload, a drain) or 1012
   * service restart. Chargers reconnect; not an error, and not counted in connectionsLost.
   */
  serverRestarts = 0;
  transactionsStarted = 0;
  transactionsStopped = 0;
  messagesSent = 0;
  messagesReceived = 0;

  action(name: string): ActionStats {
    let stats = this.actions.get(name);
    if (!stats) {
      stats = { sent: 0, ok: 0, failed: 0, rtt: new LatencyHistogram() };
      this.actions.set(name, stats);
    }
    return stats;
  }

  version(name: string): VersionStats {
    let stats = this.versions.get(name);
    if (!stats) {
      stats = { chargers: 0, connected: 0, booted: 0, transactionsStarted: 0, transactionsStopped: 0 };
      this.versions.set(name, stats);
    }
    return stats;
  }

  /** Counts an error under "<where>: <kind>", e.g. "connect: ECONNREFUSED", "Heartbeat: timeout". */
  error(where: string, kind: string): void {
    increment(this.errors, `${where}: ${kind}`);
  }

  refusal(action: string, status: string): void {
    increment(this.refusals, `${action} ${status}`);
  }

  transactionAcknowledged(ack: TransactionAck): void {
    if (ack.phase === 'started') this.transactionsStarted++;
    else this.transactionsStopped++;
    this.onTransaction?.(ack);
  }

  answered(action: string): void {
    increment(this.callsAnswered, action);
  }

  get errorCount(): number {
    let total = 0;
    for (const count of this.errors.values()) total += count;
    return total;
  }

  snapshot(): ProgressSnapshot {
    return {
      elapsedMs: performance.now() - this.startedAt,
      started: this.started,
      connected: this.connected,
      booted: this.booted,
      messages: this.messagesSent + this.messagesReceived,
      errors: this.errorCount,
      reconnects: this.reconnects,
    };
  }
}

function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
