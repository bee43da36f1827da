// The certificates the HTTPS listener serves, indexed by the names they cover. SNI picks the certificate for the
// server name (exact name, then a wildcard one level up); a client without SNI, or asking for a name we do not
// serve, gets the primary domain's certificate. Installing builds a new SecureContext: handshakes already done
// keep theirs, so replacing a certificate never disturbs open connections.

import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import { SHARED_TLS_OPTIONS } from './tls-options.js';
import type { CertificateStore, ServedCertificate } from './types.js';

interface InstalledCertificate {
  served: ServedCertificate;
  context: SecureContext;
}

export class CertificateMismatchError extends Error {
  override name = 'CertificateMismatchError';
}

export class MemoryCertificateStore implements CertificateStore {
  private readonly byName = new Map<string, InstalledCertificate>();
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
    for (const installed of new Set(this.byName.values()))
      installed.context = createSecureContext({
        ...options,
        cert: installed.served.certPem,
        key: installed.served.keyPem,
      });
    const primary = this.lookup(undefined);
    if (primary) for (const listener of this.changeListeners) listener(primary);
  }

  install(certPem: string, keyPem: string, origin: string): ServedCertificate {
    const served = describeCertificate(certPem, keyPem, origin);
    const context = createSecureContext({ ...this.options, cert: certPem, key: keyPem });
    const installed = { served, context };
    for (const name of served.names) this.byName.set(name, installed);
    this.primaryDomain ??= served.names[0];
    for (const listener of this.changeListeners) listener(served);
    return served;
  }

  lookup(serverName: string | undefined): ServedCertificate | undefined {
    return this.find(serverName)?.served;
  }

  contextFor(serverName: string | undefined): SecureContext | undefined {
    return this.find(serverName)?.context;
  }

  list(): ServedCertificate[] {
    return [...new Set([...this.byName.values()].map((installed) => installed.served))];
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

  private find(serverName: string | undefined): InstalledCertificate | undefined {
    const found = serverName ? this.findByName(serverName) : undefined;
    if (found) return found;
    const primary = this.primaryDomain ? this.findByName(this.primaryDomain) : undefined;
    return primary ?? this.byName.values().next().value;
  }

  private findByName(serverName: string): InstalledCertificate | undefined {
    const name = serverName.toLowerCase().replace(/\.$/, '');
    const exact = this.byName.get(name);
    if (exact) return exact;
    const dot = name.indexOf('.');
    return dot > 0 ? this.byName.get(`*${name.slice(dot)}`) : undefined;
  }
}

/** Parses a PEM chain and its key; throws CertificateMismatchError when the key is not the certificate's. */
export function describeCertificate(certPem: string, keyPem: string, origin: string): ServedCertificate {
  const certificate = new X509Certificate(certPem);
  const key = createPrivateKey(keyPem);
  if (!certificate.checkPrivateKey(key))
    throw new CertificateMismatchError('the private key does not match the certificate');
  return {
    names: certificateNames(certificate),
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
