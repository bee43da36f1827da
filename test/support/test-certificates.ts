// Certificates for proxy tests: a throwaway CA and server certificates it signs, with the names a test asks for.
// EC P-256 keys, so generating a handful per test costs milliseconds.

import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { generate } from 'selfsigned';

export interface TestCertificate {
  certPem: string;
  keyPem: string;
  serialNumber: string;
}

/** A CA; an RSA one signs the RSA certificates (selfsigned signs with a CA key of the certificate's own type). */
export async function createTestCa(name = 'ocpp-edge test CA', keyType: 'ec' | 'rsa' = 'ec'): Promise<TestCertificate> {
  const pems = await generate([{ name: 'commonName', value: name }], {
    keyType,
    ...(keyType === 'rsa' && { keySize: 2048 }),
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - 60_000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { certPem: pems.cert, keyPem: pems.private, serialNumber: new X509Certificate(pems.cert).serialNumber };
}

/**
 * A server certificate for `names` (DNS names or IP addresses), signed by `ca`; an RSA one (2048 bits, also for
 * key encipherment: the static-RSA suites) when asked, by an RSA `ca`.
 */
export async function issueCertificate(
  ca: TestCertificate,
  names: string[],
  validDays = 90,
  keyType: 'ec' | 'rsa' = 'ec',
): Promise<TestCertificate> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const pems = await generate([{ name: 'commonName', value: names[0] }], {
    keyType,
    ...(keyType === 'rsa' && { keySize: 2048 }),
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + validDays * 86_400_000),
    ca: { cert: ca.certPem, key: ca.keyPem },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: keyType === 'rsa', critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: names.map((name) =>
          isIP(name) ? { type: 7 as const, ip: name } : { type: 2 as const, value: name },
        ),
      },
    ],
  });
  return { certPem: pems.cert, keyPem: pems.private, serialNumber: new X509Certificate(pems.cert).serialNumber };
}

export interface CertificateFiles {
  certFile: string;
  keyFile: string;
}

export async function writeCertificateFiles(
  directory: string,
  baseName: string,
  certificate: TestCertificate,
): Promise<CertificateFiles> {
  const certFile = path.join(directory, `${baseName}.crt`);
  const keyFile = path.join(directory, `${baseName}.key`);
  await writeFile(certFile, certificate.certPem);
  await writeFile(keyFile, certificate.keyPem, { mode: 0o600 });
  return { certFile, keyFile };
}
