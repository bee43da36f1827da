// Command routing: a REST command for a charger held by another instance is published on that instance's inbox
// channel; the holder runs it on its local connection and publishes the answer (or the error) back on the
// caller's inbox. Redis pub/sub is fire-and-forget, which suits request/reply with a deadline: nothing is
// stored, and a lost message ends as the same 504 a silent charger gives.

import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../../common/logger.js';
import { rpcErrorCode } from '../../common/rpc-error.js';
import {
  CallTimeoutError,
  ClusterUnavailableError,
  NotConnectedError,
  type LocalConnections,
} from '../ocpp/connections.js';
import type { ClusterMetrics } from './cluster-metrics.js';
import { keys } from './keys.js';
import { fromWireError, parseInboxMessage, toWireError, type InboxMessage } from './wire.js';

export interface CommandRouterOptions {
  instanceId: string;
  /** Publishes requests and replies. */
  publisher: Redis;
  /** Dedicated to this instance's inbox subscription. */
  subscriber: Redis;
  local: LocalConnections;
  metrics: ClusterMetrics;
  logger: Logger;
  /** Another instance accepted a newer connection of a charger (take-over). */
  onTakeover(chargePointId: string, sequence: number, by: string): void;
}

/** Extra wait beyond the charger's own deadline for the holder's "Timeout" reply to travel back. */
const REPLY_MARGIN_MS = 1000;
/** Deadline for a routed disconnect (DELETE of a charge point held elsewhere). */
const DISCONNECT_TIMEOUT_MS = 5000;

interface PendingReply {
  resolve(result: unknown): void;
  reject(error: Error): void;
  chargePointId: string;
  action: string;
  timer: NodeJS.Timeout;
}

export class CommandRouter {
  private readonly pending = new Map<string, PendingReply>();
  private readonly inbox: string;

  constructor(private readonly options: CommandRouterOptions) {
    this.inbox = keys.channel(options.instanceId);
    const { subscriber } = options;
    subscriber.on('message', (channel: string, text: string) => {
      if (channel === this.inbox) this.receive(text);
    });
    // Subscribe on every (re)connection: a restarted Redis knows no subscriptions.
    subscriber.on('ready', () => {
      subscriber
        .subscribe(this.inbox)
        .catch((error: Error) =>
          options.logger.warn({ err: error.message }, 'cluster: could not subscribe to the inbox'),
        );
    });
  }

  /** Runs an OCPP call on the charger held by `holder` and resolves with its answer. */
  call(holder: string, chargePointId: string, action: string, payload: unknown, timeoutMs: number): Promise<unknown> {
    return this.request(holder, chargePointId, action, timeoutMs + REPLY_MARGIN_MS, timeoutMs, (requestId) => ({
      type: 'call',
      requestId,
      replyTo: this.inbox,
      chargePointId,
      action,
      payload,
      timeoutMs,
    }));
  }

  /** Closes the charger's connection on `holder`; false when it was not connected there. */
  async disconnect(holder: string, chargePointId: string, code: number, reason: string): Promise<boolean> {
    try {
      return (await this.request(
        holder,
        chargePointId,
        'disconnect',
        DISCONNECT_TIMEOUT_MS,
        DISCONNECT_TIMEOUT_MS,
        (requestId) => ({
          type: 'disconnect',
          requestId,
          replyTo: this.inbox,
          chargePointId,
          code,
          reason,
        }),
      )) as boolean;
    } catch (error) {
      if (error instanceof NotConnectedError) return false;
      throw error;
    }
  }

  /** Tells the previous holder of a charger to close its (older) connection. */
  takeover(previousHolder: string, chargePointId: string, sequence: number): void {
    const message: InboxMessage = { type: 'takeover', chargePointId, sequence, by: this.options.instanceId };
    this.options.publisher.publish(keys.channel(previousHolder), JSON.stringify(message)).catch((error: Error) => {
      // The old connection then stays open until the charger drops it; presence already points here.
      this.options.logger.warn(
        { chargePointId, previousHolder, err: error.message },
        'cluster: could not send take-over',
      );
    });
  }

  /** Fails every command still waiting for a reply (shutdown). */
  close(): void {
    for (const [requestId, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new ClusterUnavailableError('this instance is shutting down'));
      this.pending.delete(requestId);
    }
  }

  private async request(
    holder: string,
    chargePointId: string,
    action: string,
    waitMs: number,
    timeoutMs: number,
    build: (requestId: string) => InboxMessage,
  ): Promise<unknown> {
    const { metrics } = this.options;
    const requestId = randomUUID();
    const reply = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        // The holder died or its reply was lost: to the caller this is a charger that did not answer in time.
        reject(new CallTimeoutError(chargePointId, action, timeoutMs));
      }, waitMs);
      this.pending.set(requestId, { resolve, reject, chargePointId, action, timer });
    });
    const settle = (error: Error) => {
      const pending = this.pending.get(requestId);
      if (!pending) return;
      clearTimeout(pending.timer);
      this.pending.delete(requestId);
      pending.reject(error);
    };
    try {
      const receivers = await this.options.publisher.publish(keys.channel(holder), JSON.stringify(build(requestId)));
      // Nobody listens on the holder's inbox: it is gone (its lease has not expired yet).
      if (receivers === 0) settle(new NotConnectedError(chargePointId));
    } catch (error) {
      settle(
        new ClusterUnavailableError(`cannot reach the instance holding ${chargePointId}: ${(error as Error).message}`),
      );
    }
    try {
      const result = await reply;
      metrics.routedCommands.inc({ outcome: 'answered' });
      return result;
    } catch (error) {
      metrics.routedCommands.inc({ outcome: outcomeOf(error) });
      throw error;
    }
  }

  private receive(text: string): void {
    const message = parseInboxMessage(text);
    if (!message) {
      this.options.logger.warn({ text: text.slice(0, 200) }, 'cluster: malformed inbox message');
      return;
    }
    switch (message.type) {
      case 'reply': {
        const pending = this.pending.get(message.requestId);
        if (!pending) return; // Too late: the caller already gave up.
        clearTimeout(pending.timer);
        this.pending.delete(message.requestId);
        if (message.ok) pending.resolve(message.result);
        else pending.reject(fromWireError(message.error, pending.chargePointId, pending.action));
        return;
      }
      case 'call':
        void this.serve(message.replyTo, message.requestId, () =>
          this.options.local.call(message.chargePointId, message.action, message.payload, {
            timeoutMs: message.timeoutMs,
          }),
        );
        return;
      case 'disconnect':
        void this.serve(message.replyTo, message.requestId, async () => {
          if (!(await this.options.local.isConnected(message.chargePointId)))
            throw new NotConnectedError(message.chargePointId);
          return this.options.local.disconnect(message.chargePointId, message.code, message.reason);
        });
        return;
      case 'takeover':
        this.options.onTakeover(message.chargePointId, message.sequence, message.by);
        return;
    }
  }

  /** Runs a request for another instance on a local connection and publishes the outcome to its inbox. */
  private async serve(replyTo: string, requestId: string, run: () => Promise<unknown>): Promise<void> {
    let reply: InboxMessage;
    try {
      reply = { type: 'reply', requestId, ok: true, result: await run() };
    } catch (error) {
      reply = { type: 'reply', requestId, ok: false, error: toWireError(error) };
    }
    try {
      await this.options.publisher.publish(replyTo, JSON.stringify(reply));
    } catch (error) {
      // Redis went away meanwhile: the caller answers 504 at its deadline.
      this.options.logger.warn({ requestId, err: (error as Error).message }, 'cluster: could not publish a reply');
    }
  }
}

function outcomeOf(error: unknown): string {
  if (error instanceof NotConnectedError) return 'not_connected';
  if (error instanceof CallTimeoutError) return 'timeout';
  if (error instanceof ClusterUnavailableError) return 'unavailable';
  if (rpcErrorCode(error) !== undefined) return 'call_error';
  return 'error';
}
