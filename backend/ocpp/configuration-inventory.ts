// The configuration inventory: every charger's configuration keys as it last reported them. Refreshed (full
// GetConfiguration) after each boot, and stored from every GetConfiguration answer whoever asked; after a
// ChangeConfiguration the charger accepted, the key is read back (GetConfiguration for it) so the inventory holds
// what the charger really has, not what we asked for. Each difference is kept in the history.
//
// An OCPP 2.0.1 charger's inventory is its device model, one key per variable attribute (v201/device-model-keys.ts):
// refreshed by GetBaseReport FullInventory, whose NotifyReport parts (seqNo, tbc) are gathered until the last and
// stored as one complete report; NotifyReport parts of reports someone else asked for, GetVariables answers, and
// the read-back (GetVariables) of what a SetVariables accepted are stored as partial reports.

import { randomInt } from 'node:crypto';
import type { Logger } from '../../common/logger.js';
import type {
  ConfigurationChange,
  ConfigurationKey,
  ConfigurationSource,
  ConfigurationStore,
} from '../store/configuration-store.js';
import { chargerLimits, type ChargerLimits } from './charger-limits.js';
import type { ConnectionRegistry } from './connections.js';
import type { ObservedConnections } from './observed-connections.js';
import { variableResultKeys, type VariableResult } from './v201/device-model-keys.js';

interface GetConfigurationAnswer {
  configurationKey?: Array<{ key: string; readonly: boolean; value?: string }>;
  unknownKey?: string[];
}

export interface ConfigurationInventoryOptions {
  store: ConfigurationStore;
  connections: ObservedConnections;
  logger: Logger;
  callTimeoutMs: number;
  /** The OCPP version the charger speaks ('1.6' when never connected). */
  ocppVersionOf(chargePointId: string): Promise<string>;
}

/** NotifyReport parts, as the 2.0.1 handler hands them over (HandlerContext.deviceReports). */
export interface DeviceReportSink {
  reportPart(
    chargePointId: string,
    part: { requestId: number; seqNo: number; tbc: boolean },
    keys: readonly ConfigurationKey[],
  ): Promise<void>;
}

interface PendingReport {
  keys: ConfigurationKey[];
  done(keys: ConfigurationKey[]): void;
}

export class ConfigurationInventory implements DeviceReportSink {
  /** Chargers whose full refresh is in flight: its answer is stored by refresh(), not by the observer. */
  private readonly refreshing = new Set<string>();
  /** 2.0.1 refreshes waiting for their NotifyReport parts, by "chargePointId requestId". */
  private readonly pendingReports = new Map<string, PendingReport>();

  constructor(private readonly options: ConfigurationInventoryOptions) {
    options.connections.observe((chargePointId, action, payload, answer) =>
      this.heard(chargePointId, action, payload as Record<string, unknown>, answer as Record<string, unknown>),
    );
  }

  /** Asks the charger for every key and stores the answer; a failure is stored too, then thrown. */
  async refresh(chargePointId: string): Promise<void> {
    this.refreshing.add(chargePointId);
    try {
      if ((await this.options.ocppVersionOf(chargePointId)) === '2.0.1') await this.refreshDeviceModel(chargePointId);
      else {
        const answer = (await this.connections.call(chargePointId, 'GetConfiguration', {}, this.callOptions)) as
          | GetConfigurationAnswer
          | undefined;
        await this.store(chargePointId, answer ?? {}, true);
      }
    } catch (error) {
      await this.options.store
        .recordRefreshError(chargePointId, describe(error), new Date().toISOString())
        .catch(() => {});
      throw error;
    } finally {
      this.refreshing.delete(chargePointId);
    }
  }

  /** A NotifyReport part: gathered for a refresh waiting on it, else stored at once (a partial report). */
  async reportPart(
    chargePointId: string,
    part: { requestId: number; seqNo: number; tbc: boolean },
    keys: readonly ConfigurationKey[],
  ): Promise<void> {
    const pending = this.pendingReports.get(`${chargePointId} ${part.requestId}`);
    if (!pending) {
      await this.apply(chargePointId, { keys, unknownKeys: [], complete: false, source: 'NotifyReport' });
      return;
    }
    pending.keys.push(...keys);
    if (!part.tbc) pending.done(pending.keys);
  }

  /** The limits from the stored keys (all null before the first refresh; readIfUnknown: refresh first then). */
  async limits(chargePointId: string, options: { readIfUnknown?: boolean } = {}): Promise<ChargerLimits> {
    let snapshot = await this.options.store.snapshot(chargePointId);
    if (options.readIfUnknown && snapshot.refreshedAt === null)
      snapshot = await this.refresh(chargePointId).then(
        () => this.options.store.snapshot(chargePointId),
        () => snapshot,
      );
    return chargerLimits(snapshot.keys);
  }

  /**
   * GetBaseReport FullInventory, then its NotifyReport parts until the one without tbc, within --call-timeout of
   * the answer; stored as one complete report (what it no longer has is removed).
   */
  private async refreshDeviceModel(chargePointId: string): Promise<void> {
    const requestId = randomInt(1, 2 ** 31 - 1);
    const name = `${chargePointId} ${requestId}`;
    // Waiting before asking: the first part may come before the answer is handled here.
    let settle!: (keys: ConfigurationKey[]) => void;
    const complete = new Promise<ConfigurationKey[]>((resolve) => (settle = resolve));
    this.pendingReports.set(name, { keys: [], done: settle });
    let timer: NodeJS.Timeout | undefined;
    try {
      const answer = (await this.connections.call(
        chargePointId,
        'GetBaseReport',
        { requestId, reportBase: 'FullInventory' },
        this.callOptions,
      )) as { status?: string } | undefined;
      // EmptyResultSet: a device model with nothing in it (a report of no variables), not a failure.
      if (answer?.status === 'EmptyResultSet') {
        await this.apply(chargePointId, { keys: [], unknownKeys: [], complete: true, source: 'NotifyReport' });
        return;
      }
      if (answer?.status !== 'Accepted') throw new Error(`GetBaseReport FullInventory answered ${answer?.status}`);
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`NotifyReport ${requestId} not complete within ${this.options.callTimeoutMs} ms`)),
          this.options.callTimeoutMs,
        );
      });
      const keys = await Promise.race([complete, timeout]);
      await this.apply(chargePointId, { keys, unknownKeys: [], complete: true, source: 'NotifyReport' });
    } finally {
      clearTimeout(timer);
      this.pendingReports.delete(name);
    }
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
    } else if (action === 'GetVariables') {
      const { keys, unknownKeys } = variableResultKeys((answer.getVariableResult as VariableResult[]) ?? []);
      await this.apply(chargePointId, {
        keys: await this.keepReadonly(chargePointId, keys),
        unknownKeys,
        complete: false,
        source: 'GetVariables',
      });
    } else if (action === 'SetVariables') {
      await this.readBackVariables(chargePointId, answer);
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

  /** After SetVariables: what it accepted is read back (GetVariables, stored by heard()), as for ChangeConfiguration. */
  private async readBackVariables(chargePointId: string, answer: Record<string, unknown>): Promise<void> {
    const accepted = ((answer.setVariableResult as VariableResult[] | undefined) ?? []).filter(
      (result) => result.attributeStatus === 'Accepted' || result.attributeStatus === 'RebootRequired',
    );
    if (accepted.length === 0) return;
    await this.connections
      .call(
        chargePointId,
        'GetVariables',
        {
          getVariableData: accepted.map((result) => ({
            component: result.component,
            variable: result.variable,
            ...(result.attributeType && { attributeType: result.attributeType }),
          })),
        },
        this.callOptions,
      )
      .catch((error: unknown) =>
        this.options.logger.warn(
          { chargePointId, err: describe(error) },
          'variables could not be read back after SetVariables',
        ),
      );
  }

  /** GetVariables says nothing of mutability: a key keeps the read-only flag the last report gave it. */
  private async keepReadonly(chargePointId: string, keys: ConfigurationKey[]): Promise<ConfigurationKey[]> {
    const stored = new Map((await this.options.store.snapshot(chargePointId)).keys.map((key) => [key.key, key]));
    return keys.map((key) => ({ ...key, readonly: stored.get(key.key)?.readonly ?? key.readonly }));
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
    return this.apply(chargePointId, {
      keys,
      unknownKeys: answer.unknownKey ?? [],
      complete,
      source: 'GetConfiguration',
    });
  }

  private async apply(
    chargePointId: string,
    report: {
      keys: readonly ConfigurationKey[];
      unknownKeys: readonly string[];
      complete: boolean;
      source: ConfigurationSource;
    },
  ): Promise<ConfigurationChange[]> {
    const changes = await this.options.store.applyReport(chargePointId, report, new Date().toISOString());
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
