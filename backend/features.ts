// The features built on the OCPP calls (issue: local lists, reservations, smart charging, configuration
// inventory), assembled once per backend process: each gets storage, the observed connection registry, the event
// bus, and its place in the after-boot sequence.

import type { Registry } from 'prom-client';
import type { Logger } from '../common/logger.js';
import type { EventBus } from './events/bus.js';
import { registerAfterBootMetrics } from './ocpp/after-boot-metrics.js';
import { AfterBoot } from './ocpp/after-boot.js';
import { ChargingProfiles } from './ocpp/charging-profiles.js';
import { ConfigurationInventory } from './ocpp/configuration-inventory.js';
import { LocalListSynchronizer } from './ocpp/local-lists.js';
import { Reservations } from './ocpp/reservations.js';
import type { ObservedConnections } from './ocpp/observed-connections.js';
import { GroupBalancer } from './smart-charging/group-balancer.js';
import type { GroupLease } from './smart-charging/group-lease.js';
import { createGroupMetrics } from './smart-charging/metrics.js';
import { ChargingGroupStore } from './store/charging-group-store.js';
import { ChargingProfileStore } from './store/charging-profile-store.js';
import { ConfigurationStore } from './store/configuration-store.js';
import { LocalListStore } from './store/local-list-store.js';
import { ReservationStore } from './store/reservation-store.js';
import type { Store } from './store/store.js';

export interface FeatureOptions {
  store: Store;
  connections: ObservedConnections;
  events: EventBus;
  logger: Logger;
  callTimeoutMs: number;
  /** Wait between a BootNotification and the after-boot steps, ms. */
  afterBootDelayMs: number;
  /** Chargers brought up to date at the same time (--after-boot-concurrency). */
  afterBootConcurrency: number;
  /** First retry of a failed local list sync, ms (doubled per failure, at most an hour). */
  localListRetryBaseMs: number;
  registry: Registry;
  /** Who decides for a charging group (backend/smart-charging/group-lease.ts). */
  groupLease: GroupLease;
  groupRebalanceIntervalMs: number;
  neverZeroModels: readonly string[];
  groupPauseCurrent: number;
}

export interface Features {
  configurationStore: ConfigurationStore;
  inventory: ConfigurationInventory;
  afterBoot: AfterBoot;
  localListStore: LocalListStore;
  localLists: LocalListSynchronizer;
  reservationStore: ReservationStore;
  reservations: Reservations;
  chargingProfileStore: ChargingProfileStore;
  chargingProfiles: ChargingProfiles;
  chargingGroupStore: ChargingGroupStore;
  groupBalancer: GroupBalancer;
  close(): Promise<void>;
}

export function createFeatures(options: FeatureOptions): Features {
  const logger = options.logger.child({ component: 'features' });
  const configurationStore = new ConfigurationStore(options.store);
  const ocppVersionOf = async (chargePointId: string) =>
    (await options.store.getChargePoint(chargePointId))?.ocppVersion ?? '1.6';
  const inventory = new ConfigurationInventory({
    store: configurationStore,
    connections: options.connections,
    logger,
    callTimeoutMs: options.callTimeoutMs,
    ocppVersionOf,
  });
  const afterBoot = new AfterBoot(options.events, logger, options.afterBootDelayMs, options.afterBootConcurrency);
  registerAfterBootMetrics(options.registry, afterBoot);
  afterBoot.add('configuration inventory', (chargePointId) => inventory.refresh(chargePointId));
  const localListStore = new LocalListStore(options.store);
  const localLists = new LocalListSynchronizer({
    store: localListStore,
    inventory,
    connections: options.connections,
    bus: options.events,
    logger,
    callTimeoutMs: options.callTimeoutMs,
    retryBaseMs: options.localListRetryBaseMs,
    maxRetryMs: 3_600_000,
    debounceMs: 500,
    ocppVersionOf,
  });
  afterBoot.add('local list', (chargePointId) => localLists.sync(chargePointId));
  const reservationStore = new ReservationStore(options.store);
  const reservations = new Reservations({
    store: reservationStore,
    connections: options.connections,
    bus: options.events,
    logger,
    callTimeoutMs: options.callTimeoutMs,
  });
  const chargingProfileStore = new ChargingProfileStore(options.store);
  const chargingProfiles = new ChargingProfiles({
    store: chargingProfileStore,
    core: options.store,
    inventory,
    connections: options.connections,
    bus: options.events,
    logger,
    callTimeoutMs: options.callTimeoutMs,
  });
  afterBoot.add('charging profiles', (chargePointId) => chargingProfiles.resend(chargePointId));
  const chargingGroupStore = new ChargingGroupStore(options.store);
  const groupBalancer = new GroupBalancer({
    groups: chargingGroupStore,
    profiles: chargingProfiles,
    profileStore: chargingProfileStore,
    inventory,
    lease: options.groupLease,
    bus: options.events,
    logger,
    metrics: createGroupMetrics(options.registry),
    intervalMs: options.groupRebalanceIntervalMs,
    neverZeroModels: options.neverZeroModels,
    pauseCurrent: options.groupPauseCurrent,
  });
  return {
    configurationStore,
    inventory,
    afterBoot,
    localListStore,
    localLists,
    reservationStore,
    reservations,
    chargingProfileStore,
    chargingProfiles,
    chargingGroupStore,
    groupBalancer,
    async close() {
      afterBoot.close();
      localLists.close();
      reservations.close();
      chargingProfiles.close();
      await groupBalancer.close();
    },
  };
}
