// ACME state on disk, under {data-dir}/acme/:
//
//   accounts/{directory-id}/account.key    account private key (0600)
//   accounts/{directory-id}/account.json   account URL, contact, directory
//   certificates/{domain}/{version}/fullchain.pem, privkey.pem (0600)   one directory per issued certificate
//   certificates/{domain}/current.json     which version is live, with its facts (written last)
//   lock                                   see lock.ts
//
// Every file is written to a temporary name and renamed into place, so a crash or a full disk leaves either the
// old file or the new one, never a partial one. A certificate and its key live in their own version directory and
// only become live when current.json (one atomic rename) points at them: a reader never pairs a new key with an
// old chain, and a failed write never touches the certificate being served.
//
// This is the --acme-store file implementation of store.ts's AcmeStore; redis-store.ts is the other one.

import { randomBytes } from 'node:crypto';
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { parseJson, type AcmeStore } from './store.js';

/** Versions kept per domain besides the live one, so an operator can roll back by editing current.json. */
const KEPT_OLD_VERSIONS = 3;
/** How often current.json is stat()ed for certificates stored by another process. */
const WATCH_INTERVAL_MS = 1_000;

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

export class AcmeStorage implements AcmeStore {
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

/**
 * Writes a file so that readers see the old contents or the new ones, never a mix: temporary file in the same
 * directory (same file system), created with its final mode (a key is never briefly world-readable), fsync, rename.
 */
export async function writeFileAtomic(file: string, contents: string, mode: number): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  let handle;
  try {
    handle = await open(temporary, 'wx', mode);
    await handle.writeFile(contents);
    await handle.chmod(mode); // the umask applies at creation; make the final mode exact
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temporary, file);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

/** A stable, readable directory name per ACME directory URL: "acme-v02.api.letsencrypt.org-directory". */
export function directoryId(directoryUrl: string): string {
  const url = new URL(directoryUrl);
  return `${url.host}${url.pathname}`.replace(/[^a-zA-Z0-9.-]+/g, '-').replace(/-+$/, '');
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
