// Chooses where certificates come from (--tls files|self-signed|acme) and checks the choice against the rest of
// the configuration before anything listens: every problem is a ConfigError naming the flag.
//
// The self-signed and ACME sources are imported only when chosen: acme-client and the certificate generator are
// about 12 MB of heap that a proxy serving certificates from files would carry for nothing (and every full GC
// would mark; docs/PERFORMANCE.md section 10).

import type { Registry } from 'prom-client';
import { ConfigError } from '../../common/config.js';
import type { Logger } from '../../common/logger.js';
import type { ProxyConfig } from '../options.js';
import { fileAcmeState, type AcmeState } from './acme/state.js';
import type { MemoryCertificateStore } from './certificate-store.js';
import { FilesCertificateSource } from './files-source.js';
import type { CertificateSource, ChallengeStore } from './types.js';

export type TlsMode = 'files' | 'self-signed' | 'acme';

export interface SourceOptions {
  config: ProxyConfig;
  store: MemoryCertificateStore;
  challenges: ChallengeStore;
  /** ACME store and lock (--acme-store); the data dir's when not given. */
  acme?: AcmeState;
  logger: Logger;
  registry: Registry;
  onWatchReload?: (result: 'success' | 'failure') => void;
}

/** --tls if given; otherwise files when --cert is given, else self-signed. */
export function tlsMode(config: ProxyConfig): TlsMode {
  const hasFiles = config.cert.length > 0 || config.key.length > 0;
  if (config.tls === undefined) return hasFiles ? 'files' : 'self-signed';
  if (hasFiles && config.tls !== 'files')
    throw new ConfigError('--tls', `--cert/--key are only used with --tls files, got --tls ${config.tls}`);
  return config.tls as TlsMode;
}

/** The domains served; the first is the primary. Self-signed without --domain serves localhost. */
export function servedDomains(config: ProxyConfig, mode: TlsMode): string[] {
  const domains = config.domain.map((domain) => domain.toLowerCase());
  if (domains.length === 0 && mode === 'self-signed') return ['localhost'];
  if (domains.length === 0 && mode === 'acme')
    throw new ConfigError('--domain', 'at least one domain is required with --tls acme');
  return domains;
}

export async function createCertificateSource(mode: TlsMode, options: SourceOptions): Promise<CertificateSource> {
  const { config, store, challenges, logger, registry } = options;
  switch (mode) {
    case 'files': {
      if (config.cert.length === 0)
        throw new ConfigError('--cert', 'at least one --cert/--key pair is required with --tls files');
      if (config.cert.length !== config.key.length) {
        throw new ConfigError(
          '--key',
          `each --cert needs the --key at the same position: got ${config.cert.length} --cert and ${config.key.length} --key`,
        );
      }
      const pairs = config.cert.map((certFile, index) => ({ certFile, keyFile: config.key[index] }));
      return new FilesCertificateSource({ pairs, store, logger, onWatchReload: options.onWatchReload });
    }
    case 'self-signed': {
      const { SelfSignedCertificateSource } = await import('./self-signed-source.js');
      return new SelfSignedCertificateSource({
        domains: servedDomains(config, mode),
        dataDir: config.dataDir,
        store,
        logger,
      });
    }
    case 'acme': {
      const { createAcmeCertificateSource } = await import('./acme/source.js');
      return createAcmeCertificateSource({
        config,
        store,
        challenges,
        acme: options.acme ?? fileAcmeState(config.dataDir),
        logger,
        registry,
      });
    }
  }
}

/** After the source started: every --domain must be covered by a certificate (not just by the fallback). */
export function checkDomainsCovered(domains: string[], store: MemoryCertificateStore): void {
  for (const domain of domains) {
    if (!store.covers(domain)) {
      const covered = store.list().flatMap((certificate) => certificate.names);
      throw new ConfigError(
        '--domain',
        `${domain} is not covered by any certificate (they cover ${covered.join(', ') || 'nothing'})`,
      );
    }
  }
}
