// What the central system does to a charger after it booted (it may have lost its volatile state): refresh the
// configuration inventory, then bring the local list and charging profiles up to date. Steps run in order, a
// moment after the BootNotification answer (so the charger has it and its StatusNotifications first), on the
// instance that holds the charger. A failing step is logged; the next still runs.
//
// At most `concurrency` chargers are brought up to date at a time; the others wait their turn in order. In a boot
// storm this is what lets the later chargers' boots through: the steps cost several times a boot (a dozen queries
// and a GetConfiguration each), and run at once for thousands of chargers they held the answers to the last boots
// past the proxy's timeout (docs/PERFORMANCE.md, section 21). A charger needs its Accepted to charge; its
// inventory can come a minute later.

import type { Logger } from '../../common/logger.js';
import type { EventBus } from '../events/bus.js';

export type AfterBootStep = (chargePointId: string) => Promise<unknown>;

export class AfterBoot {
  private readonly steps: Array<{ name: string; run: AfterBootStep }> = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Due, waiting for a free place (in the order they fell due). */
  private readonly waiting = new Set<string>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(
    bus: EventBus,
    private readonly logger: Logger,
    /** Wait after the boot, ms (up to twice this, spread at random). */
    private readonly delayMs: number,
    /** Chargers whose steps run at the same time. */
    private readonly concurrency = Number.POSITIVE_INFINITY,
  ) {
    this.unsubscribe = bus.on('charger.booted', (event) => this.schedule(event.data.chargePointId));
  }

  /** Chargers due to be brought up to date and waiting for a place (a metric). */
  get queued(): number {
    return this.waiting.size;
  }

  /** Chargers being brought up to date now. */
  get inProgress(): number {
    return this.running.size;
  }

  /** Adds a step; steps run in the order added. */
  add(name: string, run: AfterBootStep): void {
    this.steps.push({ name, run });
  }

  /** Resolves when the steps for this charger (scheduled or running) are done; for tests and shutdown. */
  async settled(chargePointId: string): Promise<void> {
    while (this.timers.has(chargePointId) || this.waiting.has(chargePointId) || this.running.has(chargePointId)) {
      await (this.running.get(chargePointId) ?? new Promise((resolve) => setTimeout(resolve, 20)));
    }
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.waiting.clear();
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
          this.waiting.add(chargePointId);
          this.startWaiting();
        },
        // Between one and two delays: a boot storm's chargers are not all asked in the same second.
        this.delayMs * (1 + Math.random()),
      ),
    );
  }

  /** Starts waiting chargers, oldest first, while there is a place; a charger still running waits its turn. */
  private startWaiting(): void {
    for (const chargePointId of this.waiting) {
      if (this.closed || this.running.size >= this.concurrency) return;
      if (this.running.has(chargePointId)) continue; // rebooted while its steps ran: again once they are done
      this.waiting.delete(chargePointId);
      const run = this.run(chargePointId);
      this.running.set(chargePointId, run);
      void run.finally(() => {
        this.running.delete(chargePointId);
        this.startWaiting();
      });
    }
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
