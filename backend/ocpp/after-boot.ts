// What the central system does to a charger after it booted (it may have lost its volatile state): refresh the
// configuration inventory, then bring the local list and charging profiles up to date. Steps run in order, a
// moment after the BootNotification answer (so the charger has it and its StatusNotifications first), on the
// instance that holds the charger. A failing step is logged; the next still runs.

import type { Logger } from '../../common/logger.js';
import type { EventBus } from '../events/bus.js';

export type AfterBootStep = (chargePointId: string) => Promise<unknown>;

export class AfterBoot {
  private readonly steps: Array<{ name: string; run: AfterBootStep }> = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(
    bus: EventBus,
    private readonly logger: Logger,
    /** Wait after the boot, ms (up to twice this, spread at random). */
    private readonly delayMs: number,
  ) {
    this.unsubscribe = bus.on('charger.booted', (event) => this.schedule(event.data.chargePointId));
  }

  /** Adds a step; steps run in the order added. */
  add(name: string, run: AfterBootStep): void {
    this.steps.push({ name, run });
  }

  /** Resolves when the steps for this charger (scheduled or running) are done; for tests and shutdown. */
  async settled(chargePointId: string): Promise<void> {
    while (this.timers.has(chargePointId) || this.running.has(chargePointId)) {
      await (this.running.get(chargePointId) ?? new Promise((resolve) => setTimeout(resolve, 20)));
    }
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private schedule(chargePointId: string): void {
    if (this.closed) return;
    // Booted again before the steps began: once is enough.
    clearTimeout(this.timers.get(chargePointId));
    this.timers.set(
      chargePointId,
      setTimeout(
        () => {
          this.timers.delete(chargePointId);
          const previous = this.running.get(chargePointId) ?? Promise.resolve();
          const run = previous.then(() => this.run(chargePointId));
          this.running.set(chargePointId, run);
          void run.finally(() => {
            if (this.running.get(chargePointId) === run) this.running.delete(chargePointId);
          });
          // Between one and two delays: a boot storm's chargers are not all asked in the same second.
        },
        this.delayMs * (1 + Math.random()),
      ),
    );
  }

  private async run(chargePointId: string): Promise<void> {
    for (const step of this.steps) {
      if (this.closed) return;
      try {
        await step.run(chargePointId);
      } catch (error) {
        this.logger.warn(
          { chargePointId, step: step.name, err: (error as Error).message },
          'after-boot step failed; the next one still runs',
        );
      }
    }
  }
}
