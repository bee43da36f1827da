// Local Auth List Management: keeps each charger's local authorization list equal to the id-tag table.
//
// A sync asks the charger for its list version (GetLocalListVersion). When it holds the version we last gave it
// and we know its entries, the difference is sent (Differential); otherwise, or when it answers VersionMismatch,
// the whole list (Full). Either is cut into chunks of the charger's SendLocalListMaxLength, each with the next
// version number (a differential version must be above the charger's), and each accepted chunk is recorded at
// once, so a charger that goes away mid-sync resumes from where it got to. Failures are retried with back-off.
// Syncs run after a boot, when a charger reconnects, and shortly after tags change; a charger whose
// LocalAuthListEnabled is false or that does not list LocalAuthListManagement is left alone.

import { chunked } from '../../common/chunked.js';
import type { Logger } from '../../common/logger.js';
import type { EventBus } from '../events/bus.js';
import { type LocalListStore, type LocalListSync, neverSynced } from '../store/local-list-store.js';
import type { IdTag } from '../store/store.js';
import { supportsProfile } from './charger-limits.js';
import type { ConfigurationInventory } from './configuration-inventory.js';
import { NotConnectedError, type ConnectionRegistry } from './connections.js';
import { localListAnswer16, localListCall201 } from './v201/local-list.js';

export interface LocalListOptions {
  store: LocalListStore;
  inventory: ConfigurationInventory;
  connections: ConnectionRegistry;
  bus: EventBus;
  logger: Logger;
  callTimeoutMs: number;
  /** First retry after a failed sync, ms; doubled per failure up to maxRetryMs. */
  retryBaseMs: number;
  maxRetryMs: number;
  /** Tag changes within this window share one sync, ms. */
  debounceMs: number;
  /** The OCPP version the charger speaks: a 2.0.1 charger gets the calls in 2.0.1 words (v201/local-list.ts). */
  ocppVersionOf(chargePointId: string): Promise<string>;
}

/** Chunk size when the charger does not report SendLocalListMaxLength. */
const DEFAULT_CHUNK = 20;
const RETRY_SWEEP_MS = 1000;

interface AuthorizationData {
  idTag: string;
  idTagInfo?: { status: string; expiryDate?: string; parentIdTag?: string };
}

class SyncRefused extends Error {
  constructor(
    readonly status: 'unsupported' | 'failed',
    message: string,
  ) {
    super(message);
  }
}

export class LocalListSynchronizer {
  private readonly inFlight = new Map<string, Promise<LocalListSync>>();
  private debounce: NodeJS.Timeout | undefined;
  private readonly sweep: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(private readonly options: LocalListOptions) {
    // A reconnect without a reboot: the charger may have missed tag changes while away.
    this.unsubscribe = options.bus.on('charger.connected', (event) => {
      setTimeout(() => void this.syncIfBehind(event.data.chargePointId), options.debounceMs).unref();
    });
    this.sweep = setInterval(() => void this.retryDue(), RETRY_SWEEP_MS).unref();
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    clearInterval(this.sweep);
    clearTimeout(this.debounce);
  }

  /** The id-tag table changed: bring every connected charger's list up to date soon, the others when they come. */
  tagsChanged(): void {
    if (this.closed) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(async () => {
      try {
        await this.options.store.markAllPending();
        const ids = await this.options.connections.connectedIds();
        await Promise.all(ids.map((id) => this.syncQuietly(id)));
      } catch (error) {
        this.options.logger.warn({ err: error }, 'local lists: could not list connected chargers');
      }
    }, this.options.debounceMs);
  }

  /** Syncs one charger now (after any sync already running for it); resolves with its state. */
  sync(chargePointId: string, options: { full?: boolean } = {}): Promise<LocalListSync> {
    const previous = this.inFlight.get(chargePointId) ?? Promise.resolve(undefined);
    const run = previous.catch(() => undefined).then(() => this.run(chargePointId, options.full ?? false));
    this.inFlight.set(chargePointId, run);
    void run
      .finally(() => {
        if (this.inFlight.get(chargePointId) === run) this.inFlight.delete(chargePointId);
      })
      .catch(() => undefined);
    return run;
  }

  /** A charger that connected: synced when tags changed while it was away or its last sync failed. */
  private async syncIfBehind(chargePointId: string): Promise<void> {
    // A charger never synced is synced after its boot (with its configuration read first), not here.
    const state = await this.options.store.storedSync(chargePointId).catch(() => undefined);
    if (state && (state.status === 'pending' || state.status === 'failed')) await this.syncQuietly(chargePointId);
  }

  private async syncQuietly(chargePointId: string): Promise<void> {
    if (this.closed) return;
    await this.sync(chargePointId).catch((error: unknown) =>
      this.options.logger.warn({ chargePointId, err: (error as Error).message }, 'local list sync failed'),
    );
  }

  private async retryDue(): Promise<void> {
    if (this.closed) return;
    try {
      const due = await this.options.store.dueRetries(new Date().toISOString());
      for (const id of due) if (!this.inFlight.has(id)) void this.syncQuietly(id);
    } catch {
      // storage down: the next sweep tries again
    }
  }

  private async run(chargePointId: string, forceFull: boolean): Promise<LocalListSync> {
    const { store, inventory, logger } = this.options;
    const now = () => new Date().toISOString();
    // Chunk sizes and support come from the charger's configuration: read it first if it never was.
    const limits = await inventory.limits(chargePointId, { readIfUnknown: true });
    if (!supportsProfile(limits, 'LocalAuthListManagement')) {
      await store.updateSync(chargePointId, { status: 'unsupported', lastError: null, nextAttemptAt: null });
      return store.sync(chargePointId);
    }
    if (limits.localAuthListEnabled === false) {
      await store.updateSync(chargePointId, { status: 'disabled', lastError: null, nextAttemptAt: null });
      return store.sync(chargePointId);
    }
    // Nothing was ever sent and there is nothing to send: leave the charger alone (no GetLocalListVersion at each
    // connect of a central system that does not use local lists).
    if (!forceFull && !(await store.storedSync(chargePointId)) && !(await store.hasTags()))
      return neverSynced(chargePointId);
    await store.updateSync(chargePointId, { lastAttemptAt: now() });
    try {
      const { listVersion: chargerVersion } = (await this.call(chargePointId, 'GetLocalListVersion', {})) as {
        listVersion: number;
      };
      await store.updateSync(chargePointId, { chargerVersion });
      if (chargerVersion < 0) throw new SyncRefused('unsupported', 'GetLocalListVersion answered -1 (no local list)');

      let desired = await store.listTags();
      // Accepted tags first: if the charger's list cannot hold them all, those are the ones that matter offline.
      desired.sort((a, b) => Number(b.status === 'Accepted') - Number(a.status === 'Accepted'));
      if (limits.localAuthListMaxLength !== null && desired.length > limits.localAuthListMaxLength) {
        logger.warn(
          { chargePointId, tags: desired.length, localAuthListMaxLength: limits.localAuthListMaxLength },
          'local list: more tags than the charger holds; sending the first',
        );
        desired = desired.slice(0, limits.localAuthListMaxLength);
      }
      const chunkSize = Math.max(1, limits.sendLocalListMaxLength ?? DEFAULT_CHUNK);
      let state = await store.sync(chargePointId);
      let full = forceFull || !state.complete || chargerVersion !== state.listVersion;
      for (let round = 0; ; round++) {
        const outcome = full
          ? await this.sendFull(chargePointId, desired, chunkSize, Math.max(state.listVersion, chargerVersion))
          : await this.sendDifferential(chargePointId, desired, chunkSize, state.listVersion);
        if (outcome !== 'VersionMismatch') break;
        if (full || round > 0)
          throw new SyncRefused('failed', 'SendLocalList answered VersionMismatch to a Full update');
        logger.info({ chargePointId }, 'local list: VersionMismatch; sending the full list');
        full = true;
        state = await store.sync(chargePointId);
      }
      state = await store.sync(chargePointId);
      await store.updateSync(chargePointId, {
        status: 'synced',
        complete: state.complete || full,
        chargerVersion: state.listVersion,
        lastSyncAt: now(),
        lastError: null,
        failures: 0,
        nextAttemptAt: null,
      });
    } catch (error) {
      const current = await store.sync(chargePointId);
      const code = (error as { rpcErrorCode?: string }).rpcErrorCode;
      if (
        (error instanceof SyncRefused && error.status === 'unsupported') ||
        code === 'NotImplemented' ||
        code === 'NotSupported'
      ) {
        await store.updateSync(chargePointId, {
          status: 'unsupported',
          lastError: describe(error),
          nextAttemptAt: null,
        });
      } else if (error instanceof NotConnectedError) {
        // Synced when it comes back (boot or reconnect).
        await store.updateSync(chargePointId, { status: 'pending', lastError: error.message, nextAttemptAt: null });
      } else {
        const failures = current.failures + 1;
        const delay = Math.min(this.options.retryBaseMs * 2 ** (failures - 1), this.options.maxRetryMs);
        await store.updateSync(chargePointId, {
          status: 'failed',
          failures,
          lastError: describe(error),
          nextAttemptAt: new Date(Date.now() + delay).toISOString(),
        });
        logger.warn({ chargePointId, failures, err: describe(error), retryInMs: delay }, 'local list sync failed');
      }
    }
    return store.sync(chargePointId);
  }

  /** The whole list: the first chunk Full (replaces what the charger has), the rest Differential. */
  private async sendFull(
    chargePointId: string,
    desired: IdTag[],
    chunkSize: number,
    fromVersion: number,
  ): Promise<'Accepted' | 'VersionMismatch'> {
    const chunks = chunked(desired, chunkSize);
    if (chunks.length === 0) chunks.push([]);
    let version = fromVersion;
    for (const [index, chunk] of chunks.entries()) {
      version++;
      const status = await this.sendChunk(
        chargePointId,
        index === 0 ? 'Full' : 'Differential',
        version,
        chunk.map(entry),
      );
      if (status === 'VersionMismatch') return status;
      await this.options.store.applyChunk(chargePointId, {
        listVersion: version,
        replaceAll: index === 0,
        updates: chunk,
        removals: [],
      });
      // A Full update in progress: the charger holds only part of the list until the last chunk.
      if (index === 0) await this.options.store.updateSync(chargePointId, { complete: chunks.length === 1 });
    }
    return 'Accepted';
  }

  private async sendDifferential(
    chargePointId: string,
    desired: IdTag[],
    chunkSize: number,
    fromVersion: number,
  ): Promise<'Accepted' | 'VersionMismatch'> {
    const held = new Map((await this.options.store.entries(chargePointId)).map((tag) => [tag.idTag, tag]));
    const wanted = new Set(desired.map((tag) => tag.idTag));
    const changes: Array<{ update?: IdTag; removal?: string }> = [];
    for (const tag of desired) {
      const old = held.get(tag.idTag);
      if (!old || old.status !== tag.status || old.expiryDate !== tag.expiryDate || old.parentIdTag !== tag.parentIdTag)
        changes.push({ update: tag });
    }
    for (const idTag of held.keys()) if (!wanted.has(idTag)) changes.push({ removal: idTag });
    let version = fromVersion;
    for (const chunk of chunked(changes, chunkSize)) {
      version++;
      const list = chunk.map((change) => (change.update ? entry(change.update) : { idTag: change.removal as string }));
      const status = await this.sendChunk(chargePointId, 'Differential', version, list);
      if (status === 'VersionMismatch') return status;
      await this.options.store.applyChunk(chargePointId, {
        listVersion: version,
        replaceAll: false,
        updates: chunk.flatMap((change) => (change.update ? [change.update] : [])),
        removals: chunk.flatMap((change) => (change.removal ? [change.removal] : [])),
      });
    }
    return 'Accepted';
  }

  private async sendChunk(
    chargePointId: string,
    updateType: 'Full' | 'Differential',
    listVersion: number,
    localAuthorizationList: AuthorizationData[],
  ): Promise<'Accepted' | 'VersionMismatch'> {
    const { status } = (await this.call(chargePointId, 'SendLocalList', {
      listVersion,
      updateType,
      localAuthorizationList,
    })) as { status: string };
    if (status === 'Accepted' || status === 'VersionMismatch') return status;
    if (status === 'NotSupported') throw new SyncRefused('unsupported', 'SendLocalList answered NotSupported');
    throw new SyncRefused('failed', `SendLocalList answered ${status}`);
  }

  private async call(chargePointId: string, action: string, payload: Record<string, unknown>): Promise<unknown> {
    const options = { timeoutMs: this.options.callTimeoutMs };
    if ((await this.options.ocppVersionOf(chargePointId)) !== '2.0.1')
      return this.options.connections.call(chargePointId, action, payload, options);
    const answer = await this.options.connections.call(
      chargePointId,
      action,
      localListCall201(action, payload),
      options,
    );
    return localListAnswer16(action, answer as Record<string, unknown>);
  }
}

function entry(tag: IdTag): AuthorizationData {
  const idTagInfo: NonNullable<AuthorizationData['idTagInfo']> = { status: tag.status };
  if (tag.expiryDate) idTagInfo.expiryDate = tag.expiryDate;
  if (tag.parentIdTag) idTagInfo.parentIdTag = tag.parentIdTag;
  return { idTag: tag.idTag, idTagInfo };
}

function describe(error: unknown): string {
  const { rpcErrorCode, message } = error as { rpcErrorCode?: string; message?: string };
  return rpcErrorCode ? `${rpcErrorCode}: ${message ?? ''}`.trim() : (message ?? String(error));
}
