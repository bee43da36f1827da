// The connection registry the API and the features send commands through, with the charger's answers heard by
// whoever keeps state from them (the configuration inventory stores every GetConfiguration answer, whether the
// operator asked through /api/…/call or a feature did). Observers run after the caller got its answer and never
// delay or fail it.

import type { Logger } from '../../common/logger.js';
import type { CallOptions, ConnectionRegistry } from './connections.js';

export type AnswerObserver = (chargePointId: string, action: string, payload: unknown, answer: unknown) => unknown;

export class ObservedConnections implements ConnectionRegistry {
  private readonly observers: AnswerObserver[] = [];

  constructor(
    private readonly inner: ConnectionRegistry,
    private readonly logger: Logger,
  ) {}

  /** Hears every answered call (not CALLERRORs, timeouts or refusals). */
  observe(observer: AnswerObserver): void {
    this.observers.push(observer);
  }

  isConnected(chargePointId: string): Promise<boolean> {
    return this.inner.isConnected(chargePointId);
  }

  connectedIds(): Promise<string[]> {
    return this.inner.connectedIds();
  }

  async call(chargePointId: string, action: string, payload: unknown, options: CallOptions): Promise<unknown> {
    const answer = await this.inner.call(chargePointId, action, payload, options);
    for (const observer of this.observers) {
      try {
        const result = observer(chargePointId, action, payload, answer);
        if (result instanceof Promise)
          result.catch((error: unknown) =>
            this.logger.error({ err: error, chargePointId, action }, 'answer observer failed'),
          );
      } catch (error) {
        this.logger.error({ err: error, chargePointId, action }, 'answer observer failed');
      }
    }
    return answer;
  }

  disconnect(chargePointId: string, code: number, reason: string): Promise<boolean> {
    return this.inner.disconnect(chargePointId, code, reason);
  }
}
