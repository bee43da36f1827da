// Charger certificates from CSRs (OCPP 1.6 Security Whitepaper edition 3, "Certificate Properties" and
// SignCertificate; OCPP 2.0.1 A02/A03 are the same): the CSR a charger sends is checked (its signature, key type and
// size, subject CN = the charge point identity, O = the CPO name), then signed by the CPO CA the backend was given
// (--cpo-ca-cert/--cpo-ca-key), or left for an operator who has it signed elsewhere and posts the chain. All
// X.509 work is @peculiar/x509's; version-agnostic, for the OCPP 2.0.1 endpoint too.

import { createPrivateKey, webcrypto, X509Certificate as NodeCertificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as x509 from '@peculiar/x509';
import { ConfigError } from '../../common/config.js';

x509.cryptoProvider.set(webcrypto as never);

/** Whitepaper: RSA keys of at least 2048 bits, or elliptic curves of at least 224 bits (we accept NIST P-256 up). */
const MIN_RSA_BITS = 2048;
const ACCEPTED_CURVES = new Set(['P-256', 'P-384', 'P-521']);

export interface CheckedCsr {
  pem: string;
  subject: string;
  /** "EC P-256", "RSA 2048". */
  keyType: string;
  csr: x509.Pkcs10CertificateRequest;
}

export type CsrCheck =
  | { ok: true; csr: CheckedCsr }
  | { ok: false; reason: string; subject?: string; keyType?: string };

/** Checks a charger's CSR against the whitepaper's rules; the reason says what is wrong. */
export async function checkCsr(pem: string, identity: string, cpoName: string | undefined): Promise<CsrCheck> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem.trim());
  } catch (error) {
    return { ok: false, reason: `not a PEM PKCS#10 CSR (${(error as Error).message})` };
  }
  const subject = csr.subject;
  const keyType = describeKey(csr.publicKey.algorithm as KeyAlgorithmLike);
  const facts = { subject, keyType };
  if (!(await csr.verify().catch(() => false)))
    return { ok: false, reason: 'the CSR signature does not verify (no proof the charger holds the key)', ...facts };
  const keyProblem = checkKey(csr.publicKey.algorithm as KeyAlgorithmLike);
  if (keyProblem) return { ok: false, reason: keyProblem, ...facts };
  const commonName = csr.subjectName.getField('CN')[0];
  if (commonName !== identity)
    return {
      ok: false,
      reason: `subject CN ${JSON.stringify(commonName)} is not the charge point ${identity}`,
      ...facts,
    };
  if (cpoName === undefined) return { ok: false, reason: 'no --cpo-name configured to check the O against', ...facts };
  const organization = csr.subjectName.getField('O')[0];
  if (organization !== cpoName)
    return { ok: false, reason: `subject O ${JSON.stringify(organization)} is not --cpo-name`, ...facts };
  return { ok: true, csr: { pem, subject, keyType, csr } };
}

/** The CPO CA that signs charger certificates itself (--cpo-ca-cert/--cpo-ca-key). */
export class CertificateAuthority {
  private constructor(
    private readonly certificate: x509.X509Certificate,
    /** The --cpo-ca-cert file's certificates, sent after the leaf in CertificateSigned. */
    private readonly chainPems: string[],
    private readonly key: webcrypto.CryptoKey,
    private readonly signingAlgorithm: webcrypto.Algorithm,
    private readonly validityDays: number,
  ) {}

  /** Reads the CA; a ConfigError names the option when a file is unreadable, not a CA, or the key is not its key. */
  static async load(certFile: string, keyFile: string, validityDays: number): Promise<CertificateAuthority> {
    const certText = await readOption('cpo-ca-cert', certFile);
    const keyText = await readOption('cpo-ca-key', keyFile);
    const chainPems = certText.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (chainPems.length === 0) throw new ConfigError('cpo-ca-cert', `${certFile} holds no PEM certificate`);
    const nodeCertificate = new NodeCertificate(chainPems[0]!);
    if (!nodeCertificate.ca)
      throw new ConfigError('cpo-ca-cert', `${certFile}: ${nodeCertificate.subject} is not a CA`);
    let privateKey: ReturnType<typeof createPrivateKey>;
    try {
      privateKey = createPrivateKey(keyText);
    } catch (error) {
      throw new ConfigError('cpo-ca-key', `${keyFile}: not a private key (${(error as Error).message})`);
    }
    if (!nodeCertificate.checkPrivateKey(privateKey))
      throw new ConfigError('cpo-ca-key', `${keyFile} is not the key of the --cpo-ca-cert certificate`);
    const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
    let importAlgorithm: webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams;
    let signingAlgorithm: webcrypto.Algorithm;
    if (privateKey.asymmetricKeyType === 'ec') {
      const curve = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' }[
        privateKey.asymmetricKeyDetails?.namedCurve ?? ''
      ];
      if (!curve) throw new ConfigError('cpo-ca-key', `${keyFile}: unsupported curve`);
      importAlgorithm = { name: 'ECDSA', namedCurve: curve };
      signingAlgorithm = { name: 'ECDSA', hash: curve === 'P-256' ? 'SHA-256' : 'SHA-384' } as webcrypto.Algorithm;
    } else if (privateKey.asymmetricKeyType === 'rsa') {
      importAlgorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
      signingAlgorithm = { name: 'RSASSA-PKCS1-v1_5' };
    } else throw new ConfigError('cpo-ca-key', `${keyFile}: an EC or RSA key is needed`);
    const key = await webcrypto.subtle.importKey('pkcs8', pkcs8, importAlgorithm, false, ['sign']);
    return new CertificateAuthority(
      new x509.X509Certificate(chainPems[0]!),
      chainPems,
      key,
      signingAlgorithm,
      validityDays,
    );
  }

  /** A client certificate for a checked CSR; returns the PEM chain for CertificateSigned (leaf first). */
  async sign(csr: CheckedCsr, now = new Date()): Promise<string> {
    const leaf = await x509.X509CertificateGenerator.create({
      subject: csr.csr.subjectName,
      issuer: this.certificate.subjectName,
      publicKey: csr.csr.publicKey,
      signingKey: this.key,
      signingAlgorithm: this.signingAlgorithm,
      notBefore: new Date(now.getTime() - 5 * 60_000),
      notAfter: new Date(now.getTime() + this.validityDays * 86_400_000),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
        await x509.SubjectKeyIdentifierExtension.create(csr.csr.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(this.certificate.publicKey),
      ],
    });
    return [leaf.toString('pem'), ...this.chainPems].join('\n');
  }
}

/**
 * Checks a chain an operator posts for a pending CSR: PEM certificates, leaf first, whose leaf holds the CSR's public
 * key and the same subject CN. Returns the reason it does not fit, or undefined.
 */
export async function chainMismatch(chainPem: string, csrPem: string): Promise<string | undefined> {
  const pems = chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (pems.length === 0) return 'certificateChain holds no PEM certificate';
  let leaf: x509.X509Certificate;
  try {
    leaf = new x509.X509Certificate(pems[0]!);
  } catch (error) {
    return `the first certificate cannot be parsed (${(error as Error).message})`;
  }
  const csr = new x509.Pkcs10CertificateRequest(csrPem.trim());
  const [leafKey, csrKey] = await Promise.all([leaf.publicKey.getThumbprint(), csr.publicKey.getThumbprint()]);
  if (Buffer.compare(Buffer.from(leafKey), Buffer.from(csrKey)) !== 0)
    return "the leaf certificate is not for the CSR's key";
  if (leaf.subjectName.getField('CN')[0] !== csr.subjectName.getField('CN')[0])
    return 'the leaf certificate has another subject CN than the CSR';
  if (leaf.notAfter.getTime() < Date.now()) return 'the leaf certificate has expired';
  return undefined;
}

interface KeyAlgorithmLike {
  name: string;
  namedCurve?: string;
  modulusLength?: number;
}

function describeKey(algorithm: KeyAlgorithmLike): string {
  if (algorithm.name === 'ECDSA' || algorithm.name === 'ECDH') return `EC ${algorithm.namedCurve ?? '?'}`;
  if (algorithm.name.startsWith('RSA')) return `RSA ${algorithm.modulusLength ?? '?'}`;
  return algorithm.name;
}

function checkKey(algorithm: KeyAlgorithmLike): string | undefined {
  if (algorithm.name === 'ECDSA' || algorithm.name === 'ECDH')
    return ACCEPTED_CURVES.has(algorithm.namedCurve ?? '')
      ? undefined
      : `EC curve ${algorithm.namedCurve} is not accepted (P-256, P-384 or P-521)`;
  if (algorithm.name.startsWith('RSA'))
    return (algorithm.modulusLength ?? 0) >= MIN_RSA_BITS
      ? undefined
      : `RSA key of ${algorithm.modulusLength} bits: at least ${MIN_RSA_BITS} needed`;
  return `key type ${algorithm.name} is not accepted (EC or RSA)`;
}

async function readOption(key: string, file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(key, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}
