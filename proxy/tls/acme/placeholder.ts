// Until the first ACME certificate arrives the HTTPS listener still needs something to present: a self-signed
// certificate for the configured domains, generated in memory (never written, never to be trusted) and replaced
// the moment a real one is stored.

import { generateSelfSignedCertificate } from '../self-signed-certificate.js';

const PLACEHOLDER_DAYS = 7;

export function createPlaceholder(domains: string[]): Promise<{ certPem: string; keyPem: string }> {
  return generateSelfSignedCertificate({
    names: domains,
    commonName: `${domains[0]} (ACME placeholder)`,
    validityDays: PLACEHOLDER_DAYS,
  });
}
