// The contract ACME state is kept behind, so that it can live in the data dir (one machine: file-store.ts,
// file-lock.ts, ../challenge-store.ts) or in Redis (several machines: redis-store.ts, redis-lock.ts,
// ../redis-challenge-store.ts)
// with the same renewer, account and source code above it. Chosen by --acme-store (state.ts).
//
// What every implementation promises:
//   - a certificate and its key become visible together, never a new key with an old chain (or the reverse);
//   - a failed write leaves the certificate that was live untouched;
//   - watchCertificate reports writes by any process sharing the store, within seconds.

export interface StoredAccount {
  keyPem: string;
  url: string | undefined;
}

export interface AccountRecord {
  url: string;
  directory: string;
  email: string | undefined;
  createdAt: string;
}

/** current.json: the live certificate of a domain. */
export interface CurrentRecord {
  version: string;
  domains: string[];
  keyType: string;
  directory: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  issuedAt: string;
  /** RFC 9773 id of the certificate this one replaced, when it was ordered with `replaces`. */
  replaced?: string;
}

export interface StoredCertificate {
  record: CurrentRecord;
  certPem: string;
  keyPem: string;
  /** Where chain and key are, for operators and `certs list`: absolute file paths, or Redis key and field. */
  certPath: string;
  keyPath: string;
}

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

/** A stable, readable directory name per ACME directory URL: "acme-v02.api.letsencrypt.org-directory". */
export function directoryId(directoryUrl: string): string {
  const url = new URL(directoryUrl);
  return `${url.host}${url.pathname}`.replace(/[^a-zA-Z0-9.-]+/g, '-').replace(/-+$/, '');
}

/**
 * Where a certificate of the domains is stored: under the primary domain for the first --acme-key-type (as
 * always, so a single-key-type setup keeps its state), under "{primary}+{keyType}" for another (ECDSA and RSA
 * side by side: two orders, two certificates, each renewed on its own schedule and ARI window).
 */
export function certificateStorageKey(primaryDomain: string, keyType: string, index: number): string {
  return index === 0 ? primaryDomain : `${primaryDomain}+${keyType}`;
}
