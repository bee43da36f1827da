// The contracts between the TLS listener and the places certificates come from (files, self-signed, ACME).

import type { SecureContext } from 'node:tls';

/** One certificate chain and its key as served to clients. */
export interface ServedCertificate {
  /** DNS names (and IP addresses) from the certificate's subjectAltName, lower-case. */
  names: string[];
  /** The key's type as Node names it: 'ec' (ECDSA) or 'rsa'; one certificate of each may serve the same names. */
  keyType: string;
  /** Full chain, leaf first, PEM. */
  certPem: string;
  keyPem: string;
  notBefore: Date;
  notAfter: Date;
  serialNumber: string;
  issuer: string;
  /** Where it came from, for logs and `certs list`: 'files', 'self-signed', 'acme', 'placeholder'. */
  origin: string;
}

/**
 * Certificates the HTTPS listener serves. SNI picks the certificate whose names cover the server name; a client
 * without SNI (or with an unknown name) gets the primary domain's certificate. Installing a certificate affects
 * new handshakes only: connections already open keep the context they were made with.
 */
export interface CertificateStore {
  /** Install or replace the certificate for the names it covers. Throws if key and certificate do not match. */
  install(certPem: string, keyPem: string, origin: string): ServedCertificate;
  /** The certificate that would be served for this server name (undefined: none installed yet). */
  lookup(serverName: string | undefined): ServedCertificate | undefined;
  /** Every certificate served for this server name, one per key type (ECDSA first). */
  certificatesFor(serverName: string | undefined): ServedCertificate[];
  contextFor(serverName: string | undefined): SecureContext | undefined;
  list(): ServedCertificate[];
}

/** Key authorizations for pending http-01 challenges, answered on port 80 at /.well-known/acme-challenge/{token}. */
export interface ChallengeStore {
  get(token: string): Promise<string | undefined>;
  set(token: string, keyAuthorization: string): Promise<void>;
  remove(token: string): Promise<void>;
}

/** A place certificates come from. The proxy starts it before listening and stops it on shutdown. */
export interface CertificateSource {
  /** Installs at least one certificate (possibly a placeholder) into the store before resolving. */
  start(): Promise<void>;
  /** SIGHUP: re-read whatever can change on disk. */
  reload(): Promise<void>;
  stop(): Promise<void>;
}
