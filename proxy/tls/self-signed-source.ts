// A self-signed certificate for the configured domains (development, or a first start before real certificates).
// Generated once into {data-dir}/self-signed/ and reused, so a developer trusts it once; regenerated only when
// it no longer covers the domains or is about to expire.

import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../common/logger.js';
import { writeFileAtomic } from './atomic-file.js';
import { generateSelfSignedCertificate } from './self-signed-certificate.js';
import { describeCertificate } from './certificate-store.js';
import type { CertificateSource, CertificateStore, ServedCertificate } from './types.js';

const VALIDITY_DAYS = 365;
/** Regenerate when fewer days than this remain. */
const RENEW_BEFORE_DAYS = 30;

export interface SelfSignedSourceOptions {
  domains: string[];
  dataDir: string;
  store: CertificateStore;
  logger: Logger;
}

export class SelfSignedCertificateSource implements CertificateSource {
  readonly certFile: string;
  readonly keyFile: string;

  constructor(private readonly options: SelfSignedSourceOptions) {
    const directory = path.join(options.dataDir, 'self-signed');
    const base = options.domains[0].replace(/\*/g, '_wildcard');
    this.certFile = path.join(directory, `${base}.crt`);
    this.keyFile = path.join(directory, `${base}.key`);
  }

  async start(): Promise<void> {
    const existing = await this.readUsable();
    if (existing) {
      this.options.store.install(existing.certPem, existing.keyPem, 'self-signed');
      this.options.logger.info(
        { certFile: this.certFile, notAfter: existing.notAfter },
        'reusing self-signed certificate',
      );
      return;
    }
    const { certPem, keyPem } = await generate(this.options.domains);
    await writeAtomically(this.keyFile, keyPem, 0o600);
    await writeAtomically(this.certFile, certPem, 0o644);
    const served = this.options.store.install(certPem, keyPem, 'self-signed');
    this.options.logger.warn(
      { certFile: this.certFile, names: served.names },
      'generated a self-signed certificate: clients must trust it explicitly',
    );
  }

  /** SIGHUP: pick up a certificate someone replaced in the data dir. */
  async reload(): Promise<void> {
    const existing = await this.readUsable();
    if (existing) this.options.store.install(existing.certPem, existing.keyPem, 'self-signed');
  }

  async stop(): Promise<void> {}

  private async readUsable(): Promise<ServedCertificate | undefined> {
    let certificate: ServedCertificate;
    try {
      certificate = describeCertificate(
        await readFile(this.certFile, 'utf8'),
        await readFile(this.keyFile, 'utf8'),
        'self-signed',
      );
    } catch {
      return undefined; // missing, unreadable or mismatched: generate a new one
    }
    const coversAll = this.options.domains.every((domain) => certificate.names.includes(domain.toLowerCase()));
    const freshEnough = certificate.notAfter.getTime() - Date.now() > RENEW_BEFORE_DAYS * 86_400_000;
    return coversAll && freshEnough ? certificate : undefined;
  }
}

function generate(domains: string[]): Promise<{ certPem: string; keyPem: string }> {
  const names = [...domains];
  // Local development is reached as localhost or by loopback address: cover both.
  if (names.includes('localhost')) names.push('127.0.0.1', '::1');
  return generateSelfSignedCertificate({ names, validityDays: VALIDITY_DAYS });
}

async function writeAtomically(file: string, content: string, mode: number): Promise<void> {
  // The directory is made as it always was (the process's umask), before writeFileAtomic would make it 0700.
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, content, mode);
}
