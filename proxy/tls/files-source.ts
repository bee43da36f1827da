// Certificates from PEM files (--cert/--key pairs), e.g. certbot's /etc/letsencrypt/live/{domain}/. Re-read on
// SIGHUP and when a file changes on disk. The directories are watched rather than the files: renewals replace
// files (or, with certbot, re-point symlinks), and a watch on the old inode would never fire again.

import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../../common/config.js';
import type { Logger } from '../../common/logger.js';
import { CertificateMismatchError, describeCertificate } from './certificate-store.js';
import type { CertificateSource, CertificateStore } from './types.js';

export interface CertificateFilePair {
  certFile: string;
  keyFile: string;
}

export interface FilesSourceOptions {
  pairs: CertificateFilePair[];
  store: CertificateStore;
  logger: Logger;
  /** Wait this long after the last change on disk before re-reading (a renewal writes several files). */
  debounceMs?: number;
  /** Told about every reload caused by a change on disk (SIGHUP reloads are counted by the caller). */
  onWatchReload?: (result: 'success' | 'failure') => void;
}

export class FilesCertificateSource implements CertificateSource {
  private readonly loaded = new Map<CertificateFilePair, string>();
  private readonly watchers: FSWatcher[] = [];
  private debounceTimer: NodeJS.Timeout | undefined;
  private readonly debounceMs: number;

  constructor(private readonly options: FilesSourceOptions) {
    this.debounceMs = options.debounceMs ?? 250;
  }

  /** Reads every pair; any problem is a ConfigError naming the flag and the file, and installs nothing. */
  async start(): Promise<void> {
    await this.reload();
    this.watchDirectories();
  }

  /** Re-reads every pair; installs those whose content changed. Throws (keeping the old certificates) on error. */
  async reload(): Promise<void> {
    // Read and check all pairs first, so a half-finished renewal installs nothing.
    const read = [];
    for (const pair of this.options.pairs) {
      const { certPem, keyPem } = await readPair(pair);
      if (this.loaded.get(pair) === certPem + keyPem) continue;
      checkPair(pair, certPem, keyPem);
      read.push({ pair, certPem, keyPem });
    }
    for (const { pair, certPem, keyPem } of read) this.installPair(pair, certPem, keyPem);
  }

  get pairs(): readonly CertificateFilePair[] {
    return this.options.pairs;
  }

  async stop(): Promise<void> {
    clearTimeout(this.debounceTimer);
    for (const watcher of this.watchers) watcher.close();
    this.watchers.length = 0;
  }

  private installPair(pair: CertificateFilePair, certPem: string, keyPem: string): void {
    const served = this.options.store.install(certPem, keyPem, 'files');
    this.loaded.set(pair, certPem + keyPem);
    this.options.logger.info(
      { certFile: pair.certFile, names: served.names, serialNumber: served.serialNumber, notAfter: served.notAfter },
      'certificate loaded',
    );
  }

  private watchDirectories(): void {
    const watched = new Map<string, Set<string>>();
    for (const pair of this.options.pairs) {
      for (const file of [pair.certFile, pair.keyFile]) {
        const directory = path.dirname(path.resolve(file));
        if (!watched.has(directory)) watched.set(directory, new Set());
        watched.get(directory)!.add(path.basename(file));
      }
    }
    for (const [directory, names] of watched) {
      try {
        const watcher = watch(directory, { persistent: false }, (_event, filename) => {
          // Some platforms do not report the name; then any change in the directory counts.
          if (filename === null || names.has(filename.toString())) this.scheduleReload();
        });
        watcher.on('error', (error) =>
          this.options.logger.warn(
            { err: error, directory },
            'certificate directory watch failed; SIGHUP still reloads',
          ),
        );
        this.watchers.push(watcher);
      } catch (error) {
        this.options.logger.warn({ err: error, directory }, 'cannot watch certificate directory; SIGHUP still reloads');
      }
    }
  }

  private scheduleReload(): void {
    clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => {
      this.reload().then(
        () => this.options.onWatchReload?.('success'),
        (error: Error) => {
          this.options.logger.warn({ err: error }, `certificate files changed but were not reloaded: ${error.message}`);
          this.options.onWatchReload?.('failure');
        },
      );
    }, this.debounceMs);
    this.debounceTimer.unref();
  }
}

/** Parses the pair without installing it; problems become ConfigErrors naming the file. */
function checkPair(pair: CertificateFilePair, certPem: string, keyPem: string): void {
  try {
    describeCertificate(certPem, keyPem, 'files');
  } catch (error) {
    if (error instanceof CertificateMismatchError)
      throw new ConfigError('--key', `${pair.keyFile} does not match the certificate in ${pair.certFile}`);
    throw new ConfigError(
      '--cert',
      `${pair.certFile} is not a usable PEM certificate and key: ${(error as Error).message}`,
    );
  }
}

async function readPair(pair: CertificateFilePair): Promise<{ certPem: string; keyPem: string }> {
  return { certPem: await readPem(pair.certFile, '--cert'), keyPem: await readPem(pair.keyFile, '--key') };
}

async function readPem(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      flag,
      `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}
