// The features built on the OCPP calls (issue: local lists, reservations, smart charging, configuration
// inventory), assembled once per backend process: each gets storage, the observed connection registry, the event
// bus, and its place in the after-boot sequence.

import type { Logger } from '../common/logger.js';
import type { EventBus } from './events/bus.js';
import { AfterBoot } from './ocpp/after-boot.js';
import { ConfigurationInventory } from './ocpp/configuration-inventory.js';
import type { ObservedConnections } from './ocpp/observed-connections.js';
import { ConfigurationStore } from './store/configuration-store.js';
import type { Store } from './store/store.js';

export interface FeatureOptions {
  store: Store;
  connections: ObservedConnections;
  events: EventBus;
  logger: Logger;
  callTimeoutMs: number;
  /** Wait between a BootNotification and the after-boot steps, ms. */
  afterBootDelayMs: number;
}

export interface Features {
  configurationStore: ConfigurationStore;
  inventory: ConfigurationInventory;
  afterBoot: AfterBoot;
  close(): Promise<void>;
}

export function createFeatures(options: FeatureOptions): Features {
  const logger = options.logger.child({ component: 'features' });
  const configurationStore = new ConfigurationStore(options.store);
  const inventory = new ConfigurationInventory({
    store: configurationStore,
    connections: options.connections,
    logger,
    callTimeoutMs: options.callTimeoutMs,
  });
  const afterBoot = new AfterBoot(options.events, logger, options.afterBootDelayMs);
  afterBoot.add('configuration inventory', (chargePointId) => inventory.refresh(chargePointId));
  return {
    configurationStore,
    inventory,
    afterBoot,
    async close() {
      afterBoot.close();
    },
  };
}
