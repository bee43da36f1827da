// Until the first ACME certificate arrives the HTTPS listener still needs something to present: a self-signed
// certificate for the configured domains, generated in memory (never written, never to be trusted) and replaced
// the moment a real one is stored.

import { generate } from 'selfsigned';

const PLACEHOLDER_DAYS = 7;

export async function createPlaceholder(domains: string[]): Promise<{ certPem: string; keyPem: string }> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const pems = await generate([{ name: 'commonName', value: `${domains[0]} (ACME placeholder)`.slice(0, 64) }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + PLACEHOLDER_DAYS * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: domains.map((value) => ({ type: 2 as const, value })) },
    ],
  });
  return { certPem: pems.cert, keyPem: pems.private };
}
