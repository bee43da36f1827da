// Placeholder until the ACME source lands (issue 3): the signature the proxy's TLS selection calls.

import type { Registry } from 'prom-client';
import type { Logger } from '../../../common/logger.js';
import type { ProxyConfig } from '../../options.js';
import type { CertificateSource, CertificateStore, ChallengeStore } from '../types.js';

export interface AcmeSourceOptions {
  config: ProxyConfig;
  store: CertificateStore;
  challenges: ChallengeStore;
  logger: Logger;
  registry: Registry;
}

export function createAcmeCertificateSource(options: AcmeSourceOptions): CertificateSource {
  void options;
  throw new Error('--tls acme is not available in this build yet');
}
