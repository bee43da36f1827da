// Bounded concurrency for calls from one charger.
//
// OCPP-J (1.6, section 4.1.1) lets a charger have one call outstanding; ocpp-rpc nevertheless runs every
// incoming call's handler at once. A charger that floods would then occupy the database pool and starve the
// others. Each connection gets a CallLimiter: handlers run one at a time in arrival order (which also keeps
// StartTransaction before its MeterValues), and beyond `maxPending` waiting calls the extra ones are refused at
// once, so memory stays bounded however fast the charger sends.

import { createRPCError } from 'ocpp-rpc';

export class CallLimiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly concurrency: number,
    private readonly maxPending: number,
  ) {}

  get pending(): number {
    return this.running + this.waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxPending) {
        throw createRPCError(
          'GenericError',
          `Too many calls in flight (limit ${this.concurrency + this.maxPending}); wait for answers before sending more`,
        );
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter (running stays the same) or release it.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
