// The configuration inventory: every charger's configuration keys as it last reported them. Refreshed (full
// GetConfiguration) after each boot, and stored from every GetConfiguration answer whoever asked; after a
// ChangeConfiguration the charger accepted, the key is read back (GetConfiguration for it) so the inventory holds
// what the charger really has, not what we asked for. Each difference is kept in the history.

import type { Logger } from '../../common/logger.js';
import type {
  ConfigurationChange,
  ConfigurationKey,
  ConfigurationSnapshot,
  ConfigurationStore,
} from '../store/configuration-store.js';
import { chargerLimits, type ChargerLimits } from './charger-limits.js';
import type { ConnectionRegistry } from './connections.js';
import type { ObservedConnections } from './observed-connections.js';

interface GetConfigurationAnswer {
  configurationKey?: Array<{ key: string; readonly: boolean; value?: string }>;
  unknownKey?: string[];
}

export interface ConfigurationInventoryOptions {
  store: ConfigurationStore;
  connections: ObservedConnections;
  logger: Logger;
  callTimeoutMs: number;
}

export class ConfigurationInventory {
  /** Chargers whose full refresh is in flight: its answer is stored by refresh(), not by the observer. */
  private readonly refreshing = new Set<string>();

  constructor(private readonly options: ConfigurationInventoryOptions) {
    options.connections.observe((chargePointId, action, payload, answer) =>
      this.heard(chargePointId, action, payload as Record<string, unknown>, answer as Record<string, unknown>),
    );
  }

  /** Asks the charger for every key and stores the answer; a failure is stored too, then thrown. */
  async refresh(chargePointId: string): Promise<ConfigurationSnapshot> {
    this.refreshing.add(chargePointId);
    try {
      const answer = (await this.connections.call(chargePointId, 'GetConfiguration', {}, this.callOptions)) as
        | GetConfigurationAnswer
        | undefined;
      await this.store(chargePointId, answer ?? {}, true);
    } catch (error) {
      await this.options.store
        .recordRefreshError(chargePointId, describe(error), new Date().toISOString())
        .catch(() => {});
      throw error;
    } finally {
      this.refreshing.delete(chargePointId);
    }
    return this.options.store.snapshot(chargePointId);
  }

  /** The limits from the stored keys (all null before the first refresh; readIfUnknown: refresh first then). */
  async limits(chargePointId: string, options: { readIfUnknown?: boolean } = {}): Promise<ChargerLimits> {
    let snapshot = await this.options.store.snapshot(chargePointId);
    if (options.readIfUnknown && snapshot.refreshedAt === null)
      snapshot = await this.refresh(chargePointId).catch(() => snapshot);
    return chargerLimits(snapshot.keys);
  }

  private get connections(): ConnectionRegistry {
    return this.options.connections;
  }

  private get callOptions() {
    return { timeoutMs: this.options.callTimeoutMs };
  }

  private async heard(
    chargePointId: string,
    action: string,
    payload: Record<string, unknown>,
    answer: Record<string, unknown>,
  ): Promise<void> {
    if (action === 'GetConfiguration') {
      const requested = payload.key as string[] | undefined;
      const complete = !requested || requested.length === 0;
      // refresh() stores its own answer (and awaits it); every other caller's is stored here.
      if (complete && this.refreshing.has(chargePointId)) return;
      await this.store(chargePointId, answer as GetConfigurationAnswer, complete);
    } else if (
      action === 'ChangeConfiguration' &&
      (answer.status === 'Accepted' || answer.status === 'RebootRequired')
    ) {
      const key = payload.key as string;
      const readBack = (await this.connections
        .call(chargePointId, 'GetConfiguration', { key: [key] }, this.callOptions)
        .catch((error: unknown) => {
          this.options.logger.warn(
            { chargePointId, key, err: describe(error) },
            'configuration key could not be read back after ChangeConfiguration',
          );
          return undefined;
        })) as GetConfigurationAnswer | undefined;
      // A charger that cannot read the key back: store what it accepted.
      if (!readBack?.configurationKey?.length)
        await this.options.store.applyReport(
          chargePointId,
          {
            keys: [{ key, value: String(payload.value), readonly: false }],
            unknownKeys: [],
            complete: false,
            source: 'ChangeConfiguration',
          },
          new Date().toISOString(),
        );
    }
  }

  private async store(
    chargePointId: string,
    answer: GetConfigurationAnswer,
    complete: boolean,
  ): Promise<ConfigurationChange[]> {
    const keys: ConfigurationKey[] = (answer.configurationKey ?? []).map((entry) => ({
      key: entry.key,
      value: entry.value ?? null,
      readonly: entry.readonly,
    }));
    const changes = await this.options.store.applyReport(
      chargePointId,
      { keys, unknownKeys: answer.unknownKey ?? [], complete, source: 'GetConfiguration' },
      new Date().toISOString(),
    );
    if (changes.length > 0)
      this.options.logger.info({ chargePointId, changes: changes.length }, 'charger configuration changed');
    return changes;
  }
}

/** The configuration as it was at `at`, from the history (which starts with every key's first sighting). */
export function configurationAt(history: readonly ConfigurationChange[], at: string): Map<string, string | null> {
  const state = new Map<string, string | null>();
  for (const change of history) {
    if (change.observedAt > at) break;
    if (change.change === 'removed') state.delete(change.key);
    else state.set(change.key, change.newValue);
  }
  return state;
}

export interface ConfigurationDiffEntry {
  key: string;
  from: string | null;
  to: string | null;
  change: 'added' | 'changed' | 'removed';
}

export function diffConfigurations(
  from: Map<string, string | null>,
  to: Map<string, string | null>,
): ConfigurationDiffEntry[] {
  const diff: ConfigurationDiffEntry[] = [];
  for (const key of [...new Set([...from.keys(), ...to.keys()])].sort()) {
    const had = from.has(key);
    const has = to.has(key);
    if (had && !has) diff.push({ key, from: from.get(key) ?? null, to: null, change: 'removed' });
    else if (!had && has) diff.push({ key, from: null, to: to.get(key) ?? null, change: 'added' });
    else if (from.get(key) !== to.get(key))
      diff.push({ key, from: from.get(key) ?? null, to: to.get(key) ?? null, change: 'changed' });
  }
  return diff;
}

function describe(error: unknown): string {
  const { rpcErrorCode, message } = error as { rpcErrorCode?: string; message?: string };
  return rpcErrorCode ? `${rpcErrorCode}: ${message ?? ''}`.trim() : (message ?? String(error));
}
