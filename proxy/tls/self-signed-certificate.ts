// Generating a self-signed server certificate: the `self-signed` source's certificate for development and the
// placeholder served until the first ACME certificate arrives. ECDSA P-256, leaf only, SAN for every name.

import { isIP } from 'node:net';
import { generate } from 'selfsigned';

export interface SelfSignedRequest {
  /** DNS names or IP addresses for subjectAltName; the first is also the common name (cut to 64 characters). */
  names: string[];
  commonName?: string;
  validityDays: number;
}

export async function generateSelfSignedCertificate(
  request: SelfSignedRequest,
): Promise<{ certPem: string; keyPem: string }> {
  const altNames = request.names.map((name) =>
    isIP(name) ? { type: 7 as const, ip: name } : { type: 2 as const, value: name },
  );
  // A minute in the past: a client whose clock is slightly behind must not see "not yet valid".
  const notBeforeDate = new Date(Date.now() - 60_000);
  const pems = await generate([{ name: 'commonName', value: (request.commonName ?? request.names[0]!).slice(0, 64) }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + request.validityDays * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { certPem: pems.cert, keyPem: pems.private };
}
