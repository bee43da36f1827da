// What we need to know about a PEM chain: names, validity, serial, issuer, key type, chain size, and the ARI
// certificate identifier (RFC 9773 §4.1), read with node:crypto plus a minimal DER walk for the two fields
// X509Certificate does not expose (the authority key identifier and the serial's exact DER bytes).

import { X509Certificate } from 'node:crypto';

export interface CertificateInfo {
  /** subjectAltName DNS names and IP addresses, lower-case, in certificate order. */
  names: string[];
  notBefore: Date;
  notAfter: Date;
  /** Upper-case hex, as openssl prints it. */
  serialNumber: string;
  /** Issuer common name (or the whole issuer DN when it has none). */
  issuer: string;
  /** 'ecdsa-p256', 'ecdsa-p384', 'rsa-2048', ... */
  keyType: string;
  /** Certificates in the chain, leaf included. */
  chainLength: number;
  /** DER bytes of the whole chain: what a TLS handshake actually sends. */
  chainBytes: number;
  /** RFC 9773 certificate identifier, or undefined when the leaf has no authority key identifier. */
  ariCertId: string | undefined;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function splitPemChain(chainPem: string): string[] {
  return chainPem.match(PEM_CERTIFICATE) ?? [];
}

export function readCertificateInfo(chainPem: string): CertificateInfo {
  const pems = splitPemChain(chainPem);
  if (pems.length === 0) throw new Error('no PEM certificate found');
  const certificates = pems.map((pem) => new X509Certificate(pem));
  const leaf = certificates[0];
  return {
    names: subjectAltNames(leaf),
    notBefore: new Date(leaf.validFrom),
    notAfter: new Date(leaf.validTo),
    serialNumber: leaf.serialNumber.toUpperCase(),
    issuer: commonName(leaf.issuer) ?? leaf.issuer.replace(/\n/g, ', '),
    keyType: keyTypeOf(leaf),
    chainLength: certificates.length,
    chainBytes: certificates.reduce((sum, certificate) => sum + certificate.raw.length, 0),
    ariCertId: ariCertificateId(leaf.raw),
  };
}

/** Does the certificate cover every one of these names (exactly, or through a wildcard one label deep)? */
export function coversAll(names: readonly string[], wanted: readonly string[]): boolean {
  return wanted.every((name) => names.some((held) => nameMatches(held, name.toLowerCase())));
}

/**
 * RFC 9773 §4.1: base64url(keyIdentifier of the Authority Key Identifier extension) "." base64url(DER contents
 * of the serial number INTEGER, leading zero byte included when present).
 */
export function ariCertificateId(leafDer: Buffer): string | undefined {
  const tbs = children(readElement(leafDer, 0))[0];
  const fields = children(tbs);
  // tbsCertificate: [0] version (optional), serialNumber, signature, issuer, validity, subject, spki, ..., [3] extensions
  const hasVersion = fields[0].tag === 0xa0;
  const serial = fields[hasVersion ? 1 : 0];
  const extensionsWrapper = fields.find((field) => field.tag === 0xa3);
  if (!extensionsWrapper) return undefined;
  for (const extension of children(children(extensionsWrapper)[0])) {
    const parts = children(extension);
    if (!parts[0].content.equals(AKI_OID)) continue;
    const value = parts[parts.length - 1]; // OCTET STRING wrapping AuthorityKeyIdentifier
    const aki = readElement(value.content, 0);
    const keyIdentifier = children(aki).find((field) => field.tag === 0x80); // [0] IMPLICIT KeyIdentifier
    if (!keyIdentifier) return undefined;
    return `${keyIdentifier.content.toString('base64url')}.${serial.content.toString('base64url')}`;
  }
  return undefined;
}

// 2.5.29.35 (id-ce-authorityKeyIdentifier), DER-encoded OID contents.
const AKI_OID = Buffer.from([0x55, 0x1d, 0x23]);

interface DerElement {
  tag: number;
  content: Buffer;
  /** Offset just past this element in the buffer it was read from. */
  end: number;
}

function readElement(buffer: Buffer, offset: number): DerElement {
  const tag = buffer[offset];
  let length = buffer[offset + 1];
  let start = offset + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0 || octets > 4) throw new Error('unsupported DER length');
    length = 0;
    for (let index = 0; index < octets; index += 1) length = length * 256 + buffer[start + index];
    start += octets;
  }
  if (start + length > buffer.length) throw new Error('truncated DER element');
  return { tag, content: buffer.subarray(start, start + length), end: start + length };
}

function children(element: DerElement): DerElement[] {
  const result: DerElement[] = [];
  let offset = 0;
  while (offset < element.content.length) {
    const child = readElement(element.content, offset);
    result.push(child);
    offset = child.end;
  }
  return result;
}

function subjectAltNames(certificate: X509Certificate): string[] {
  const names: string[] = [];
  for (const entry of (certificate.subjectAltName ?? '').split(/,\s*/)) {
    const match = /^(DNS|IP Address):(.+)$/.exec(entry.trim());
    if (match) names.push(match[2].toLowerCase());
  }
  if (names.length === 0) {
    const cn = commonName(certificate.subject);
    if (cn) names.push(cn.toLowerCase());
  }
  return names;
}

function commonName(distinguishedName: string): string | undefined {
  return /(?:^|\n)CN=([^\n]+)/.exec(distinguishedName)?.[1];
}

function keyTypeOf(certificate: X509Certificate): string {
  const key = certificate.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') {
    const curves: Record<string, string> = { prime256v1: 'p256', secp384r1: 'p384', secp521r1: 'p521' };
    return `ecdsa-${curves[details.namedCurve ?? ''] ?? details.namedCurve ?? 'unknown'}`;
  }
  if (key.asymmetricKeyType === 'rsa') return `rsa-${details.modulusLength ?? 'unknown'}`;
  return key.asymmetricKeyType ?? 'unknown';
}

function nameMatches(held: string, wanted: string): boolean {
  if (held === wanted) return true;
  if (!held.startsWith('*.')) return false;
  const dot = wanted.indexOf('.');
  return dot > 0 && wanted.slice(dot + 1) === held.slice(2);
}
