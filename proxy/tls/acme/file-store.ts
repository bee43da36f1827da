// ACME state on disk, under {data-dir}/acme/:
//
//   accounts/{directory-id}/account.key    account private key (0600)
//   accounts/{directory-id}/account.json   account URL, contact, directory
//   certificates/{domain}/{version}/fullchain.pem, privkey.pem (0600)   one directory per issued certificate
//   certificates/{domain}/current.json     which version is live, with its facts (written last)
//   lock                                   see file-lock.ts
//
// Every file is written to a temporary name and renamed into place, so a crash or a full disk leaves either the
// old file or the new one, never a partial one. A certificate and its key live in their own version directory and
// only become live when current.json (one atomic rename) points at them: a reader never pairs a new key with an
// old chain, and a failed write never touches the certificate being served.
//
// This is the --acme-store file implementation of store.ts's AcmeStore; redis-store.ts is the other one.

import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import {
  directoryId,
  parseJson,
  type AccountRecord,
  type AcmeStore,
  type CurrentRecord,
  type StoredAccount,
  type StoredCertificate,
} from './store.js';

/** Versions kept per domain besides the live one, so an operator can roll back by editing current.json. */
const KEPT_OLD_VERSIONS = 3;
/** How often current.json is stat()ed for certificates stored by another process. */
const WATCH_INTERVAL_MS = 1_000;

export class FileAcmeStore implements AcmeStore {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = path.resolve(dataDir, 'acme');
  }

  get location(): string {
    return this.root;
  }

  accountLocation(directoryUrl: string): string {
    return this.accountDirectory(directoryUrl);
  }

  /** Every process sharing the data dir stat()s current.json; a new mtime or inode means a new live certificate. */
  watchCertificate(domain: string, onChange: () => void): () => void {
    const file = this.currentPath(domain);
    const listener = (current: Stats, previous: Stats) => {
      if (current.mtimeMs !== previous.mtimeMs || current.ino !== previous.ino) onChange();
    };
    watchFile(file, { interval: WATCH_INTERVAL_MS, persistent: false }, listener);
    return () => unwatchFile(file, listener);
  }

  get lockPath(): string {
    return path.join(this.root, 'lock');
  }

  accountDirectory(directoryUrl: string): string {
    return path.join(this.root, 'accounts', directoryId(directoryUrl));
  }

  certificateDirectory(domain: string): string {
    return path.join(this.root, 'certificates', domain.toLowerCase().replace(/^\*\./, '_wildcard_.'));
  }

  currentPath(domain: string): string {
    return path.join(this.certificateDirectory(domain), 'current.json');
  }

  async readAccount(directoryUrl: string): Promise<StoredAccount | undefined> {
    const directory = this.accountDirectory(directoryUrl);
    const keyPem = await readOptional(path.join(directory, 'account.key'));
    if (keyPem === undefined) return undefined;
    const record = parseJson<AccountRecord>(await readOptional(path.join(directory, 'account.json')));
    return { keyPem, url: record?.url };
  }

  async writeAccountKey(directoryUrl: string, keyPem: string): Promise<void> {
    await writeFileAtomic(path.join(this.accountDirectory(directoryUrl), 'account.key'), keyPem, 0o600);
  }

  async writeAccountRecord(directoryUrl: string, record: AccountRecord): Promise<void> {
    await writeFileAtomic(
      path.join(this.accountDirectory(directoryUrl), 'account.json'),
      `${JSON.stringify(record, null, 2)}\n`,
      0o644,
    );
  }

  /** The live certificate of a domain, or undefined when there is none or its files are unreadable. */
  async readCertificate(domain: string): Promise<StoredCertificate | undefined> {
    const record = parseJson<CurrentRecord>(await readOptional(this.currentPath(domain)));
    if (!record || typeof record.version !== 'string' || record.version.includes('/')) return undefined;
    const versionDirectory = path.join(this.certificateDirectory(domain), record.version);
    const certPath = path.join(versionDirectory, 'fullchain.pem');
    const keyPath = path.join(versionDirectory, 'privkey.pem');
    const [certPem, keyPem] = await Promise.all([readOptional(certPath), readOptional(keyPath)]);
    if (certPem === undefined || keyPem === undefined) return undefined;
    return { record, certPem, keyPem, certPath, keyPath };
  }

  /** Domains with a live certificate. */
  async listDomains(): Promise<string[]> {
    const entries = await readdir(path.join(this.root, 'certificates')).catch(() => [] as string[]);
    const domains: string[] = [];
    for (const entry of entries.sort()) {
      if (await exists(path.join(this.root, 'certificates', entry, 'current.json')))
        domains.push(entry.replace(/^_wildcard_\./, '*.'));
    }
    return domains;
  }

  /**
   * Stores a new certificate and makes it live. The key and chain are complete on disk before current.json
   * changes; if anything fails before that rename, the previous certificate stays live and untouched.
   */
  async writeCertificate(
    domain: string,
    certPem: string,
    keyPem: string,
    record: Omit<CurrentRecord, 'version'>,
  ): Promise<StoredCertificate> {
    const version = `${new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z')}-${record.serialNumber.slice(-8).toLowerCase()}`;
    const versionDirectory = path.join(this.certificateDirectory(domain), version);
    await mkdir(versionDirectory, { recursive: true, mode: 0o700 });
    const keyPath = path.join(versionDirectory, 'privkey.pem');
    const certPath = path.join(versionDirectory, 'fullchain.pem');
    await writeFileAtomic(keyPath, keyPem, 0o600);
    await writeFileAtomic(certPath, certPem, 0o644);
    const current: CurrentRecord = { version, ...record };
    await writeFileAtomic(this.currentPath(domain), `${JSON.stringify(current, null, 2)}\n`, 0o644);
    await this.pruneOldVersions(domain, version);
    return { record: current, certPem, keyPem, certPath, keyPath };
  }

  /** Best effort: removes the oldest version directories beyond KEPT_OLD_VERSIONS, never the live one. */
  private async pruneOldVersions(domain: string, live: string): Promise<void> {
    const directory = this.certificateDirectory(domain);
    try {
      const entries = await readdir(directory, { withFileTypes: true });
      const versions = entries
        .filter((entry) => entry.isDirectory() && entry.name !== live)
        .map((entry) => entry.name)
        .sort();
      for (const old of versions.slice(0, Math.max(0, versions.length - KEPT_OLD_VERSIONS))) {
        await rm(path.join(directory, old), { recursive: true, force: true });
      }
    } catch {
      // Pruning is housekeeping; a failure here must not turn a successful renewal into an error.
    }
  }
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
