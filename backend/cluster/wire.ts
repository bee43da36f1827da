// The messages instances exchange on their pub/sub inboxes (JSON), and how a command's failure crosses the wire
// so the caller's instance rethrows exactly the error a local call would have thrown: NotConnectedError (409),
// CallTimeoutError (504), the charger's CALLERROR as an ocpp-rpc RPCError (502), anything else as an Error (500).

import { createRPCError } from 'ocpp-rpc';
import { rpcErrorCode, rpcErrorDetails } from '../../common/rpc-error.js';
import { CallTimeoutError, NotConnectedError } from '../ocpp/connections.js';

export type InboxMessage =
  | {
      type: 'call';
      requestId: string;
      replyTo: string;
      chargePointId: string;
      action: string;
      payload: unknown;
      timeoutMs: number;
    }
  | { type: 'disconnect'; requestId: string; replyTo: string; chargePointId: string; code: number; reason: string }
  | { type: 'reply'; requestId: string; ok: true; result: unknown }
  | { type: 'reply'; requestId: string; ok: false; error: WireError }
  /** A newer connection of the charger (claim `sequence`) was accepted elsewhere: close ours if it is older. */
  | { type: 'takeover'; chargePointId: string; sequence: number; by: string };

export type WireError =
  | { kind: 'NotConnected' }
  | { kind: 'Timeout'; timeoutMs: number }
  | { kind: 'CallError'; code: string; message: string; details: unknown }
  | { kind: 'Error'; message: string };

export function toWireError(error: unknown): WireError {
  if (error instanceof NotConnectedError) return { kind: 'NotConnected' };
  if (error instanceof CallTimeoutError) return { kind: 'Timeout', timeoutMs: error.timeoutMs };
  const code = rpcErrorCode(error);
  if (code !== undefined)
    return { kind: 'CallError', code, message: (error as Error).message, details: rpcErrorDetails(error) };
  return { kind: 'Error', message: (error as Error)?.message ?? String(error) };
}

export function fromWireError(error: WireError, chargePointId: string, action: string): Error {
  switch (error.kind) {
    case 'NotConnected':
      return new NotConnectedError(chargePointId);
    case 'Timeout':
      return new CallTimeoutError(chargePointId, action, error.timeoutMs);
    case 'CallError': {
      const rebuilt = createRPCError(
        error.code,
        error.message,
        (error.details ?? {}) as Record<string, unknown>,
      ) as Error & { rpcErrorCode: string };
      // ocpp-rpc maps codes it does not know to GenericError; keep the charger's own code.
      rebuilt.rpcErrorCode = error.code;
      return rebuilt;
    }
    default:
      return new Error(error.message);
  }
}

export function parseInboxMessage(text: string): InboxMessage | undefined {
  try {
    const message = JSON.parse(text) as InboxMessage;
    return typeof message === 'object' && message !== null && typeof message.type === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}
