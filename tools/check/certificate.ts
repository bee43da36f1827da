// The plan's step 4.1: the certificate the server presents for the URL's name. Four rows: the name (subject and
// alternative names cover the host), the issuer, the days left and the chain (trusted by this machine's CAs and
// --ca, with the intermediates the server sends).

import { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate, PeerCertificate } from 'node:tls';
import { type CheckResult, describeError } from './result.js';
import { connectTls, type CheckTarget } from './target.js';

const GROUP = 'certificate';
const DAY_MS = 86_400_000;

/** What the verification errors OpenSSL reports mean for someone running a server. */
const CHAIN_PROBLEMS: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    'the issuer is unknown here: the server does not send its intermediate certificate, or the CA is private (--ca FILE)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    'the issuer is unknown here: the server does not send its intermediate certificate, or the CA is private (--ca FILE)',
  SELF_SIGNED_CERT_IN_CHAIN: 'the chain ends in a root this machine does not trust (private CA: --ca FILE)',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed: no client trusts it unless told to',
  CERT_HAS_EXPIRED: 'a certificate of the chain has expired',
  CERT_NOT_YET_VALID: "a certificate of the chain is not valid yet (check the server's clock)",
};

export async function checkCertificate(target: CheckTarget): Promise<CheckResult[]> {
  let connection: Awaited<ReturnType<typeof connectTls>>;
  try {
    connection = await connectTls(target);
  } catch (error) {
    const reason = `no TLS connection to ${target.connectHost}:${target.port}: ${describeError(error)}`;
    return ['name', 'issuer', 'expiry', 'chain'].map((name) => ({
      group: GROUP,
      name: `certificate ${name}`,
      status: 'fail',
      figure: 'no answer',
      detail: reason,
    }));
  }
  const { socket } = connection;
  try {
    // Once only: Node answers a second getPeerCertificate(true) on the same socket with an empty object.
    const chain = certificateChain(socket.getPeerCertificate(true));
    if (chain.length === 0) {
      return [
        {
          group: GROUP,
          name: 'certificate name',
          status: 'fail',
          figure: 'none',
          detail: 'the server presented no certificate',
        },
      ];
    }
    const certificate = new X509Certificate(chain[0]!.raw);
    return [
      nameResult(target, certificate.checkHost.bind(certificate), certificate.checkIP.bind(certificate), chain[0]!),
      issuerResult(chain[0]!),
      expiryResult(target, new Date(certificate.validFrom), new Date(certificate.validTo)),
      chainResult(socket.authorized, socket.authorizationError, chain),
    ];
  } finally {
    socket.destroy();
  }
}

function nameResult(
  target: CheckTarget,
  checkHost: (name: string) => string | undefined,
  checkIP: (ip: string) => string | undefined,
  leaf: PeerCertificate,
): CheckResult {
  const matched = target.servername ? checkHost(target.hostname) : checkIP(target.hostname);
  const names = `subject ${distinguishedName(leaf.subject)}${leaf.subjectaltname ? `, ${leaf.subjectaltname}` : ''}`;
  return matched
    ? { group: GROUP, name: 'certificate name', status: 'pass', figure: target.hostname, detail: names }
    : {
        group: GROUP,
        name: 'certificate name',
        status: 'fail',
        figure: 'mismatch',
        target: target.hostname,
        detail: `not valid for ${target.hostname}: ${names}`,
      };
}

function issuerResult(leaf: PeerCertificate): CheckResult {
  // Informative: a private CA is as right as Let's Encrypt; whether it is trusted is the chain's row.
  return {
    group: GROUP,
    name: 'certificate issuer',
    status: 'pass',
    figure: firstValue(leaf.issuer?.O) ?? firstValue(leaf.issuer?.CN) ?? '?',
    detail: distinguishedName(leaf.issuer),
  };
}

function expiryResult(target: CheckTarget, validFrom: Date, validTo: Date): CheckResult {
  const now = Date.now();
  const daysLeft = (validTo.getTime() - now) / DAY_MS;
  const minDays = target.config.minDays;
  const base = {
    group: GROUP,
    name: 'certificate expiry',
    target: `≥ ${minDays} days`,
    value: Math.floor(daysLeft * 10) / 10,
    unit: 'days' as const,
    limit: minDays,
  };
  const until = `valid ${validFrom.toISOString().slice(0, 10)} to ${validTo.toISOString()}`;
  if (validFrom.getTime() > now)
    return { ...base, status: 'fail', figure: 'not yet valid', detail: `${until}: check the server's clock` };
  if (daysLeft <= 0) {
    const daysAgo = Math.floor(-daysLeft);
    return {
      ...base,
      status: 'fail',
      figure: daysAgo === 0 ? 'expired today' : `expired ${daysAgo} day${daysAgo === 1 ? '' : 's'} ago`,
      detail: until,
    };
  }
  const figure = `${Math.floor(daysLeft)} days left`;
  if (daysLeft < minDays)
    return {
      ...base,
      status: 'fail',
      figure,
      detail: `${until}: renewal is overdue (docs/OPERATIONS.md, OcppEdgeCertificateExpiresSoon)`,
    };
  return { ...base, status: 'pass', figure, detail: until };
}

function chainResult(authorized: boolean, authorizationError: Error | null, chain: PeerCertificate[]): CheckResult {
  const path = chain
    .map((certificate) => firstValue(certificate.subject?.CN) ?? distinguishedName(certificate.subject))
    .join(' ← ');
  if (authorized) return { group: GROUP, name: 'certificate chain', status: 'pass', figure: 'trusted', detail: path };
  // Node gives the OpenSSL verification code here (a string, whatever the typings say).
  const reason = authorizationError as unknown as string | Error | null;
  const code =
    typeof reason === 'string'
      ? reason
      : ((reason as NodeJS.ErrnoException | null)?.code ?? reason?.message ?? 'unknown');
  return {
    group: GROUP,
    name: 'certificate chain',
    status: 'fail',
    figure: 'not trusted',
    detail: `${code}: ${CHAIN_PROBLEMS[code] ?? 'verification failed'}; ${path}`,
  };
}

/** Leaf first, up to the root (or as far as the server and the trust store go). */
function certificateChain(leaf: DetailedPeerCertificate): PeerCertificate[] {
  const chain: PeerCertificate[] = [];
  const seen = new Set<string>();
  for (
    let current: DetailedPeerCertificate | undefined = leaf;
    current?.raw && !seen.has(current.fingerprint256);
    current = current.issuerCertificate
  ) {
    seen.add(current.fingerprint256);
    chain.push(current);
  }
  return chain;
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function distinguishedName(name: PeerCertificate['subject'] | undefined): string {
  if (!name) return '?';
  return Object.entries(name)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : value}`)
    .join(', ');
}
