// The messages between the bench (load-fleet.ts) and its load worker processes (load-worker.ts), over the
// child_process IPC channel. Every command carries an id; the worker answers each with one result of that id.

export type LoadCommand =
  | { type: 'open'; id: number; spec: OpenSpec }
  | { type: 'heartbeats'; id: number; intervalMs: number; durationMs: number }
  | { type: 'closed-loop'; id: number; durationMs: number }
  | { type: 'mix'; id: number; spec: MixSpec }
  | { type: 'close'; id: number; timeoutMs: number };

export interface OpenSpec {
  /** Base URL; each connection appends /<charger id>. */
  url: string;
  /** Charger ids this worker opens. */
  ids: string[];
  /** The OCPP version of each id (same order); absent: every one speaks 1.6. */
  versions?: Array<'1.6' | '2.0.1'>;
  /** Connection attempts in flight at once in this worker. */
  concurrency: number;
  /** PEM of the CA that signed the server certificate (wss only). */
  caPem?: string;
  /** Send a BootNotification on open and wait for its Accepted answer (the boot storm). */
  boot: boolean;
  /** Epoch ms (performance.timeOrigin + now) at which to start, so every worker starts together. */
  startAt: number;
  /** Per connection: handshake, and boot answer when boot is set. */
  timeoutMs: number;
  /** Source addresses the connections bind to in turn (a fleet behind many NAT gateways); absent: the OS's. */
  localAddresses?: string[];
}

/** The capacity run's realistic fleet mix (measurements/capacity.ts), intervals already time-compressed. */
export interface MixSpec {
  heartbeatMs: number;
  /** MeterValues interval of a charger in a transaction. */
  meterValuesMs: number;
  /** StatusNotification interval of every charger (a connector going Available ↔ Unavailable). */
  statusMs: number;
  /** Every n-th held charger is in a transaction (5: 20 %); it sends StartTransaction once, at its first mix. */
  transactionEvery: number;
  durationMs: number;
}

export interface OpenResult {
  opened: number;
  /** Attempts that failed, by error kind. */
  failures: Record<string, number>;
  /** Per opened connection: ms from startAt until it was open (boot: until its boot was accepted). */
  readyAtMs: number[];
  /** Opened connections by OCPP version. */
  openedByVersion: Record<string, number>;
}

export interface MessagesResult {
  sent: number;
  answered: number;
  /** CALLERRORs, unanswered calls, closed connections. */
  failures: Record<string, number>;
  /** Round trips in ms (heartbeats only; the closed loop reports counts). */
  rttMs: number[];
}

export type LoadReply =
  | { type: 'opened'; id: number; result: OpenResult }
  | { type: 'messages'; id: number; result: MessagesResult }
  | {
      type: 'closed';
      id: number /** Connections still open when asked to close (the rest were lost). */;
      stillOpen: number;
    }
  | { type: 'failed'; id: number; message: string };
