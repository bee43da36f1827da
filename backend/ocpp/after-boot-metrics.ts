// The after-boot queue as metrics: after a boot storm, how many chargers still wait to be brought up to date.

import { Gauge, type Registry } from 'prom-client';
import type { AfterBoot } from './after-boot.js';

export function registerAfterBootMetrics(registry: Registry, afterBoot: AfterBoot): void {
  new Gauge({
    name: 'ocpp_edge_after_boot_chargers',
    help: 'Chargers being brought up to date after their boot (configuration, local list, profiles), by state: waiting for a place (--after-boot-concurrency) or running',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.set({ state: 'waiting' }, afterBoot.queued);
      this.set({ state: 'running' }, afterBoot.inProgress);
    },
  });
}
