// Which charge points are connected to this central system, and how to send them a command.
//
// The REST API only sees the ConnectionRegistry interface. LocalConnections keeps the sockets of this process and
// is the whole registry of a single instance; with --redis, ClusterConnections (backend/cluster/) implements the
// same interface with Redis presence and command routing to the instance that holds the socket — hence every
// query is async.

import ocppRpc, { type RPCClient } from 'ocpp-rpc';
import { markOutbound } from './validator.js';

export interface CallOptions {
  timeoutMs: number;
}

export interface ConnectionRegistry {
  isConnected(chargePointId: string): Promise<boolean>;
  connectedIds(): Promise<string[]>;
  /**
   * Sends an OCPP call and resolves with the charger's answer. Rejects with NotConnectedError, CallTimeoutError,
   * the ocpp-rpc RPCError the charger answered with, or (cluster only) ClusterUnavailableError.
   */
  call(chargePointId: string, action: string, payload: unknown, options: CallOptions): Promise<unknown>;
  /** Closes the charger's connection; false when it was not connected. */
  disconnect(chargePointId: string, code: number, reason: string): Promise<boolean>;
}

export class NotConnectedError extends Error {
  constructor(readonly chargePointId: string) {
    super(`charge point ${chargePointId} is not connected`);
    this.name = 'NotConnectedError';
  }
}

export class CallTimeoutError extends Error {
  constructor(
    readonly chargePointId: string,
    readonly action: string,
    readonly timeoutMs: number,
  ) {
    super(`charge point ${chargePointId} did not answer ${action} within ${timeoutMs} ms`);
    this.name = 'CallTimeoutError';
  }
}

/** The charger is held by another instance that cannot be reached now (Redis down): retry later (503). */
export class ClusterUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterUnavailableError';
  }
}

/** A charge point connection as the registry needs it: ocpp-rpc's RPCServerClient satisfies it. */
export type ChargePointConnection = Pick<RPCClient, 'identity' | 'state' | 'call' | 'close'>;

/** How long shutdown waits for chargers to answer the close handshake before dropping them. */
const CLOSE_GRACE_MS = 3000;

/**
 * Told when this process gains or loses a charger's connection (the cluster's presence). Called synchronously;
 * an observer must not throw nor make the OCPP exchange wait.
 */
export interface ConnectionObserver {
  connected(chargePointId: string, connection: ChargePointConnection): void;
  disconnected(chargePointId: string, connection: ChargePointConnection): void;
}

export class LocalConnections implements ConnectionRegistry {
  private readonly connections = new Map<string, ChargePointConnection>();

  /** observer: none on a single instance; shutdown (closeAll) does not report each connection. */
  constructor(private readonly observer?: ConnectionObserver) {}

  /** Number of live connections (for the gauge). */
  get size(): number {
    return this.connections.size;
  }

  /** Registers a new connection and returns the one it replaces, which the caller closes. */
  attach(chargePointId: string, connection: ChargePointConnection): ChargePointConnection | undefined {
    const previous = this.connections.get(chargePointId);
    this.connections.set(chargePointId, connection);
    if (previous !== connection) this.observer?.connected(chargePointId, connection);
    return previous === connection ? undefined : previous;
  }

  /** Forgets a connection, unless a newer one for the same charge point already replaced it. */
  detach(chargePointId: string, connection: ChargePointConnection): boolean {
    if (this.connections.get(chargePointId) !== connection) return false;
    this.connections.delete(chargePointId);
    this.observer?.disconnected(chargePointId, connection);
    return true;
  }

  /** The charger's current connection to this process, if any. */
  get(chargePointId: string): ChargePointConnection | undefined {
    return this.connections.get(chargePointId);
  }

  async isConnected(chargePointId: string): Promise<boolean> {
    return this.connections.has(chargePointId);
  }

  async connectedIds(): Promise<string[]> {
    return [...this.connections.keys()].sort();
  }

  async call(chargePointId: string, action: string, payload: unknown, options: CallOptions): Promise<unknown> {
    const connection = this.connections.get(chargePointId);
    // Closing (replaced, removed, going away): ocpp-rpc would refuse the call with a plain Error.
    if (!connection || connection.state !== ocppRpc.RPCClient.OPEN) throw new NotConnectedError(chargePointId);
    try {
      // Marked ours: the tolerant policy repairs only what chargers send.
      return await connection.call(action, markOutbound(payload), { callTimeoutMs: options.timeoutMs });
    } catch (error) {
      if (error instanceof ocppRpc.TimeoutError) throw new CallTimeoutError(chargePointId, action, options.timeoutMs);
      // The socket closed while the call was pending ("Client disconnected" / "Client going away").
      if ((error as Error).name === 'AbortError') throw new NotConnectedError(chargePointId);
      throw error;
    }
  }

  async disconnect(chargePointId: string, code: number, reason: string): Promise<boolean> {
    const connection = this.connections.get(chargePointId);
    if (!connection) return false;
    this.connections.delete(chargePointId);
    this.observer?.disconnected(chargePointId, connection);
    await connection.close({ code, reason });
    return true;
  }

  /** Closes every connection (shutdown): 1001 going away. */
  async closeAll(): Promise<void> {
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.allSettled(
      all.map(async (connection) => {
        const timer = setTimeout(() => void connection.close({ force: true }), CLOSE_GRACE_MS);
        try {
          await connection.close({ code: 1001, reason: 'Server shutting down' });
        } finally {
          clearTimeout(timer);
        }
      }),
    );
  }
}
