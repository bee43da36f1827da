// The contracts ACME state is kept behind, so that it can live in the data dir (one machine: storage.ts, lock.ts,
// ../challenge-store.ts) or in Redis (several machines: redis-store.ts, redis-lock.ts, ../redis-challenge-store.ts)
// with the same renewer, account and source code above it. Chosen by --acme-store (state.ts).
//
// What every implementation promises:
//   - a certificate and its key become visible together, never a new key with an old chain (or the reverse);
//   - a failed write leaves the certificate that was live untouched;
//   - watchCertificate reports writes by any process sharing the store, within seconds.

import type { AccountRecord, CurrentRecord, StoredAccount, StoredCertificate } from './storage.js';

export type { AccountRecord, CurrentRecord, StoredAccount, StoredCertificate };

export interface AcmeStore {
  /** Where the state lives, for logs and `certs list`: a directory, or a Redis URL (password hidden) and key prefix. */
  readonly location: string;
  readAccount(directoryUrl: string): Promise<StoredAccount | undefined>;
  writeAccountKey(directoryUrl: string, keyPem: string): Promise<void>;
  writeAccountRecord(directoryUrl: string, record: AccountRecord): Promise<void>;
  /** Where the account of this directory is kept, for the log line that announces a new account key. */
  accountLocation(directoryUrl: string): string;
  /** The live certificate of a domain, or undefined when there is none (or it is unreadable). */
  readCertificate(domain: string): Promise<StoredCertificate | undefined>;
  /** Stores a new certificate and makes it live (see the promises above). */
  writeCertificate(
    domain: string,
    certPem: string,
    keyPem: string,
    record: Omit<CurrentRecord, 'version'>,
  ): Promise<StoredCertificate>;
  /** Domains with a live certificate. */
  listDomains(): Promise<string[]>;
  /**
   * Calls `onChange` when the live certificate of `domain` may have changed, whoever wrote it (callers compare
   * serials, so a spurious call costs one read). Returns the function that stops watching.
   */
  watchCertificate(domain: string, onChange: () => void): () => void;
}

/** A stored JSON record; a missing or damaged one reads as absent (never a reason to crash or to overwrite). */
export function parseJson<T>(text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
