// A test CPO CA for OCPP security profile 3 (@peculiar/x509 on WebCrypto): it issues charger client certificates
// with the subject a test asks for (CN = identity, O = CPO name, or anything wrong), validity windows that expire
// during a test, and CRLs revoking some of them. EC P-256 keys, so a certificate costs milliseconds.

import { webcrypto } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;

export interface TestChargerCa {
  name: string;
  certPem: string;
  keyPem: string;
  keys: webcrypto.CryptoKeyPair;
  certificate: x509.X509Certificate;
}

export interface ChargerCertificate {
  certPem: string;
  keyPem: string;
  /** Hex, as @peculiar/x509 spells it. */
  serialNumber: string;
}

export async function createChargerCa(name = 'Test CPO Root CA'): Promise<TestChargerCa> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}`,
    keys,
    signingAlgorithm: SIGNING,
    notBefore: new Date(Date.now() - 3_600_000),
    notAfter: new Date(Date.now() + 30 * 86_400_000),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { name, certPem: certificate.toString('pem'), keyPem: await keyPem(keys.privateKey), keys, certificate };
}

export interface ChargerCertificateOptions {
  /** The subject, e.g. "CN=CP-1, O=Example CPO". */
  subject: string;
  notBefore?: Date;
  notAfter?: Date;
}

/** A client certificate (clientAuth) for a charger, signed by the CA. */
export async function issueChargerCertificate(
  ca: TestChargerCa,
  options: ChargerCertificateOptions,
): Promise<ChargerCertificate> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.create({
    subject: options.subject,
    issuer: ca.certificate.subject,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: SIGNING,
    notBefore: options.notBefore ?? new Date(Date.now() - 3_600_000),
    notAfter: options.notAfter ?? new Date(Date.now() + 7 * 86_400_000),
    extensions: [
      new x509.BasicConstraintsExtension(false),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
    ],
  });
  return {
    certPem: certificate.toString('pem'),
    keyPem: await keyPem(keys.privateKey),
    serialNumber: certificate.serialNumber,
  };
}

/** A CRL of the CA revoking these serial numbers (hex). */
export async function createCrl(ca: TestChargerCa, revokedSerials: string[]): Promise<string> {
  const crl = await x509.X509CrlGenerator.create({
    issuer: ca.certificate.subject,
    thisUpdate: new Date(Date.now() - 60_000),
    nextUpdate: new Date(Date.now() + 86_400_000),
    entries: revokedSerials.map((serialNumber) => ({ serialNumber, revocationDate: new Date(Date.now() - 1000) })),
    signingKey: ca.keys.privateKey,
    signingAlgorithm: SIGNING,
  });
  // The label openssl writes (RFC 7468); @peculiar/x509 writes "CRL".
  return crl.toString('pem').replace(/-----(BEGIN|END) CRL-----/g, '-----$1 X509 CRL-----');
}

export async function writePem(dir: string, name: string, pem: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, pem);
  return file;
}

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

export interface CsrOptions {
  subject: string;
  /** Default EC P-256; RSA with the modulus length given. */
  rsaBits?: number;
}

/** A PKCS#10 CSR as a charger makes one for SignCertificate, with its private key. */
export async function createCsr(options: CsrOptions): Promise<{ csrPem: string; keyPem: string }> {
  const algorithm = options.rsaBits
    ? {
        name: 'RSASSA-PKCS1-v1_5',
        hash: 'SHA-256',
        publicExponent: new Uint8Array([1, 0, 1]),
        modulusLength: options.rsaBits,
      }
    : EC;
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: options.subject,
    keys,
    signingAlgorithm: options.rsaBits ? { name: 'RSASSA-PKCS1-v1_5' } : SIGNING,
  });
  return { csrPem: csr.toString('pem'), keyPem: await keyPem(keys.privateKey) };
}

/** Signs a CSR with the test CA, as an external CA would (for the operator's POST of a chain). */
export async function signCsr(ca: TestChargerCa, csrPem: string): Promise<string> {
  const csr = new x509.Pkcs10CertificateRequest(csrPem);
  const certificate = await x509.X509CertificateGenerator.create({
    subject: csr.subjectName,
    issuer: ca.certificate.subject,
    publicKey: csr.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: SIGNING,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
  });
  return `${certificate.toString('pem')}\n${ca.certPem}`;
}
