// The certificates the HTTPS listener serves, indexed by the names they cover. SNI picks the certificate for the
// server name (exact name, then a wildcard one level up); a client without SNI, or asking for a name we do not
// serve, gets the primary domain's certificate. Installing builds a new SecureContext: handshakes already done
// keep theirs, so replacing a certificate never disturbs open connections.

import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import { SHARED_TLS_OPTIONS } from './tls-options.js';
import type { CertificateStore, ServedCertificate } from './types.js';

/**
 * What one name is served with: a certificate per key type (an ECDSA and an RSA one side by side, OCTT TC_086; the
 * client's signature algorithms pick one in the handshake) and the one context made from all of them.
 */
interface NameEntry {
  byKeyType: Map<string, ServedCertificate>;
  context: SecureContext;
}

/** ECDSA first: what lookup() reports, and the first of the context's certificates. */
const KEY_TYPE_ORDER = ['ec', 'rsa'];

export class CertificateMismatchError extends Error {
  override name = 'CertificateMismatchError';
}

export class MemoryCertificateStore implements CertificateStore {
  private readonly byName = new Map<string, NameEntry>();
  private readonly changeListeners: Array<(certificate: ServedCertificate) => void> = [];

  /**
   * @param primaryDomain served to clients without SNI; when undefined, the first certificate installed.
   * @param tlsOptions what every context shares: SHARED_TLS_OPTIONS, plus the --client-ca certificates.
   */
  constructor(
    private primaryDomain: string | undefined,
    private options: SecureContextOptions = SHARED_TLS_OPTIONS,
  ) {}

  /** The options every secure context is made with (the listener's default context too). */
  get tlsOptions(): SecureContextOptions {
    return this.options;
  }

  /** New shared options (SIGHUP re-read the client CAs): every context is rebuilt, for new handshakes only. */
  setTlsOptions(options: SecureContextOptions): void {
    this.options = options;
    this.rebuild([...this.byName.values()]);
    const primary = this.lookup(undefined);
    if (primary) for (const listener of this.changeListeners) listener(primary);
  }

  /**
   * Installs a certificate for the names it covers, beside one of another key type from the same origin (files
   * with an ECDSA and an RSA pair, ACME with two orders); it replaces one of the same key type, and whatever came
   * from another origin (the ACME placeholder, say).
   */
  install(certPem: string, keyPem: string, origin: string): ServedCertificate {
    const served = describeCertificate(certPem, keyPem, origin);
    const touched: NameEntry[] = [];
    for (const name of served.names) {
      const entry = this.byName.get(name) ?? { byKeyType: new Map(), context: undefined as unknown as SecureContext };
      for (const [keyType, other] of entry.byKeyType) if (other.origin !== origin) entry.byKeyType.delete(keyType);
      entry.byKeyType.set(served.keyType, served);
      this.byName.set(name, entry);
      touched.push(entry);
    }
    this.rebuild(touched);
    this.primaryDomain ??= served.names[0];
    for (const listener of this.changeListeners) listener(served);
    return served;
  }

  /** The certificate reported for this server name: the ECDSA one when there are several. */
  lookup(serverName: string | undefined): ServedCertificate | undefined {
    return this.certificatesFor(serverName)[0];
  }

  /** Every certificate served for this server name, one per key type, ECDSA first. */
  certificatesFor(serverName: string | undefined): ServedCertificate[] {
    const entry = this.find(serverName);
    return entry ? ordered(entry.byKeyType) : [];
  }

  contextFor(serverName: string | undefined): SecureContext | undefined {
    return this.find(serverName)?.context;
  }

  list(): ServedCertificate[] {
    return [...new Set([...this.byName.values()].flatMap((entry) => ordered(entry.byKeyType)))];
  }

  /** Whether a certificate covers this exact name (or by wildcard), without the primary-domain fallback. */
  covers(name: string): boolean {
    return this.findByName(name) !== undefined;
  }

  get primary(): string | undefined {
    return this.primaryDomain;
  }

  /** Called after every install; the HTTPS listener uses it to refresh the context of clients without SNI. */
  onChange(listener: (certificate: ServedCertificate) => void): void {
    this.changeListeners.push(listener);
  }

  /** New contexts for these entries; names served with the same certificates share one. */
  private rebuild(entries: NameEntry[]): void {
    const contexts = new Map<string, SecureContext>();
    for (const entry of entries) {
      const certificates = ordered(entry.byKeyType);
      const key = certificates.map((certificate) => `${certificate.keyType}:${certificate.serialNumber}`).join('|');
      let context = contexts.get(key);
      if (!context) {
        context = createSecureContext(contextOptions(this.options, certificates));
        contexts.set(key, context);
      }
      entry.context = context;
    }
  }

  private find(serverName: string | undefined): NameEntry | undefined {
    const found = serverName ? this.findByName(serverName) : undefined;
    if (found) return found;
    const primary = this.primaryDomain ? this.findByName(this.primaryDomain) : undefined;
    return primary ?? this.byName.values().next().value;
  }

  private findByName(serverName: string): NameEntry | undefined {
    const name = serverName.toLowerCase().replace(/\.$/, '');
    const exact = this.byName.get(name);
    if (exact) return exact;
    const dot = name.indexOf('.');
    return dot > 0 ? this.byName.get(`*${name.slice(dot)}`) : undefined;
  }
}

/**
 * The options of a context serving these certificates (Node takes arrays of chains and keys; OpenSSL picks per
 * handshake). Given in reverse, so the preferred one (ECDSA) is loaded last: OpenSSL's "current" certificate is the
 * last loaded, and after an SNI callback switches contexts (OpenSSL 3.5, Node 24) it did not serve an ECDSA-only
 * client when RSA was current.
 */
export function contextOptions(shared: SecureContextOptions, certificates: ServedCertificate[]): SecureContextOptions {
  const loaded = [...certificates].reverse();
  return {
    ...shared,
    cert: loaded.map((certificate) => certificate.certPem),
    key: loaded.map((certificate) => certificate.keyPem),
  };
}

function ordered(byKeyType: Map<string, ServedCertificate>): ServedCertificate[] {
  const rank = (keyType: string) => {
    const index = KEY_TYPE_ORDER.indexOf(keyType);
    return index === -1 ? KEY_TYPE_ORDER.length : index;
  };
  return [...byKeyType.values()].sort((a, b) => rank(a.keyType) - rank(b.keyType));
}

/** Parses a PEM chain and its key; throws CertificateMismatchError when the key is not the certificate's. */
export function describeCertificate(certPem: string, keyPem: string, origin: string): ServedCertificate {
  const certificate = new X509Certificate(certPem);
  const key = createPrivateKey(keyPem);
  if (!certificate.checkPrivateKey(key))
    throw new CertificateMismatchError('the private key does not match the certificate');
  return {
    names: certificateNames(certificate),
    keyType: key.asymmetricKeyType ?? 'unknown',
    certPem,
    keyPem,
    notBefore: new Date(certificate.validFrom),
    notAfter: new Date(certificate.validTo),
    serialNumber: certificate.serialNumber,
    issuer: certificate.issuer,
    origin,
  };
}

/** DNS names and IP addresses from subjectAltName; the subject CN only when there is no SAN (legacy). */
function certificateNames(certificate: X509Certificate): string[] {
  const names: string[] = [];
  for (const entry of (certificate.subjectAltName ?? '').split(', ')) {
    const match = /^(DNS|IP Address):(.+)$/.exec(entry.trim());
    if (match) names.push(match[2].toLowerCase());
  }
  if (names.length === 0) {
    const commonName = /(?:^|\n)CN=([^\n]+)/.exec(certificate.subject)?.[1];
    if (commonName) names.push(commonName.toLowerCase());
  }
  return names;
}
