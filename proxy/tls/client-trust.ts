// Client certificates (OCPP security profile 3): the CAs chargers' certificates are checked against (--client-ca)
// and the certificates revoked since (--client-crl), and the verdict on one TLS connection.
//
// The proxy asks every client for a certificate but never refuses the handshake without one: profile-2 chargers
// (Basic auth, no certificate) share port 443 with profile-3 ones, so the decision is the backend's, per charger,
// from the verdict the proxy forwards (common/client-certificate-headers.ts).
//
// Expiry and revocation are checked here, on every connection, not only by OpenSSL: a resumed TLS session (ticket
// or session id, shared by every proxy through --tls-ticket-keys) carries the certificate and the verification
// result of the handshake that created it, up to --session-timeout earlier. A certificate that expired or was
// revoked since must not ride on it. OpenSSL's own CRL check (the `crl` context option) is not used: it would
// also require a CRL for every other --client-ca, and would not see resumed sessions anyway; one check in one
// place applies to both kinds of handshake.

import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { TLSSocket } from 'node:tls';
import { X509Crl, X509Certificate as PeculiarCertificate } from '@peculiar/x509';
import type { ClientCertificateVerification } from '../../common/client-certificate-headers.js';
import { ConfigError } from '../../common/config.js';

interface TrustedCa {
  certificate: X509Certificate;
  /** Revoked serial numbers (normalised hex) from the CRLs this CA signed. */
  revoked: Set<string>;
}

export class ClientTrust {
  private constructor(
    /** PEM of every --client-ca certificate, for the secure contexts' `ca` option. */
    readonly caPems: string[],
    private readonly cas: TrustedCa[],
    /** CRLs loaded, and the earliest nextUpdate among them (for the start-up and reload logs). */
    readonly crlCount: number,
    readonly crlNextUpdate: Date | undefined,
  ) {
    this.revocations = cas.reduce((sum, ca) => sum + ca.revoked.size, 0);
  }

  /** Revoked serial numbers known, over all CRLs. */
  readonly revocations: number;

  /**
   * Reads the CA and CRL files. Fails with a ConfigError naming the option: an unreadable or empty file, a CA file
   * with something other than certificates, a CRL that no --client-ca signed or whose signature does not verify.
   */
  static async load(caFiles: readonly string[], crlFiles: readonly string[]): Promise<ClientTrust> {
    const caPems: string[] = [];
    const cas: TrustedCa[] = [];
    for (const file of caFiles) {
      const pems = pemBlocks(await readConfigFile('client-ca', file), 'CERTIFICATE');
      if (pems.length === 0) throw new ConfigError('client-ca', `${file} holds no PEM certificate`);
      for (const pem of pems) {
        let certificate: X509Certificate;
        try {
          certificate = new X509Certificate(pem);
        } catch (error) {
          throw new ConfigError('client-ca', `${file}: not a certificate (${(error as Error).message})`);
        }
        if (!certificate.ca) throw new ConfigError('client-ca', `${file}: ${certificate.subject} is not a CA`);
        caPems.push(pem);
        cas.push({ certificate, revoked: new Set() });
      }
    }
    let crlCount = 0;
    let crlNextUpdate: Date | undefined;
    for (const file of crlFiles) {
      const text = await readConfigFile('client-crl', file);
      // RFC 7468's label is "X509 CRL" (openssl); some tools write "CRL".
      const blocks = [...pemBlocks(text, 'X509 CRL'), ...pemBlocks(text, 'CRL')];
      if (blocks.length === 0) throw new ConfigError('client-crl', `${file} holds no PEM CRL ("BEGIN X509 CRL")`);
      for (const pem of blocks) {
        const crl = parseCrl(file, pem);
        const issuer = await findCrlIssuer(crl, cas);
        if (!issuer)
          throw new ConfigError(
            'client-crl',
            `${file}: the CRL of "${crl.issuer}" is not signed by any --client-ca (or its signature does not verify)`,
          );
        for (const entry of crl.entries) issuer.revoked.add(normaliseSerial(entry.serialNumber));
        crlCount++;
        if (crl.nextUpdate && (!crlNextUpdate || crl.nextUpdate < crlNextUpdate)) crlNextUpdate = crl.nextUpdate;
      }
    }
    return new ClientTrust(caPems, cas, crlCount, crlNextUpdate);
  }

  /** The verdict on the certificate a client presented on this connection (full or resumed handshake). */
  verify(socket: TLSSocket, now = Date.now()): ClientCertificateVerification {
    const leaf = socket.getPeerX509Certificate();
    if (!leaf) return { verify: 'NONE' };
    const facts = { der: leaf.raw, subject: rfc4514Subject(leaf), serial: normaliseSerial(leaf.serialNumber) };
    // OpenSSL's verdict: chain to a --client-ca, signature, validity at the time of the (original) handshake.
    if (!socket.authorized) return { verify: 'FAILED', reason: String(socket.authorizationError), ...facts };
    if (now > Date.parse(leaf.validTo)) return { verify: 'FAILED', reason: 'CERT_HAS_EXPIRED', ...facts };
    if (now < Date.parse(leaf.validFrom)) return { verify: 'FAILED', reason: 'CERT_NOT_YET_VALID', ...facts };
    if (this.revocations > 0) {
      const issuer = this.cas.find((ca) => leaf.checkIssued(ca.certificate) && leaf.verify(ca.certificate.publicKey));
      if (issuer?.revoked.has(facts.serial)) return { verify: 'FAILED', reason: 'CERT_REVOKED', ...facts };
    }
    return { verify: 'SUCCESS', ...facts };
  }
}

/** Serial numbers as hex without leading zeros, upper-case: Node and @peculiar/x509 spell them differently. */
export function normaliseSerial(serial: string): string {
  return serial.replace(/^(00)+(?=.)/, '').toUpperCase();
}

/** RFC 4514 form of the subject ("CN=CP-1, O=Example CPO"), with escaping done by @peculiar/x509. */
function rfc4514Subject(certificate: X509Certificate): string {
  try {
    return new PeculiarCertificate(certificate.raw).subject;
  } catch {
    return certificate.subject.replace(/\n/g, ', ');
  }
}

async function findCrlIssuer(crl: X509Crl, cas: TrustedCa[]): Promise<TrustedCa | undefined> {
  for (const ca of cas) {
    const publicKey = new PeculiarCertificate(ca.certificate.raw).publicKey;
    if (await crl.verify({ publicKey }).catch(() => false)) return ca;
  }
  return undefined;
}

function parseCrl(file: string, pem: string): X509Crl {
  try {
    return new X509Crl(pem);
  } catch (error) {
    throw new ConfigError('client-crl', `${file}: not a CRL (${(error as Error).message})`);
  }
}

async function readConfigFile(key: string, file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      key,
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

function pemBlocks(text: string, label: string): string[] {
  const pattern = new RegExp(`-----BEGIN ${label}-----[\\s\\S]+?-----END ${label}-----`, 'g');
  return text.match(pattern) ?? [];
}
