// TLS 1.0 and 1.1 refused, 1.2 and 1.3 accepted (the plan's `ssl_protocols TLSv1.2 TLSv1.3`): one handshake per
// version, offering only that version.
//
// "Refused" must mean the server refused. Node's OpenSSL, at its default security level, may decline to offer
// TLS 1.0/1.1 ciphers itself, and a system OpenSSL configuration may forbid the versions outright; a probe that
// never left this machine proves nothing about the server. So the old versions are offered with every cipher
// (`DEFAULT@SECLEVEL=0`), and the error is read for who refused: an alert or another version from the server is a
// refusal; an error raised before anything was sent is this client's, and the row says the result is unknown.

import type { SecureVersion } from 'node:tls';
import { type CheckResult, describeError, formatMs, round } from './result.js';
import { connectTls, type CheckTarget } from './target.js';

const GROUP = 'tls';

interface VersionProbe {
  version: SecureVersion;
  label: string;
  expected: 'refused' | 'accepted';
}

const PROBES: readonly VersionProbe[] = [
  { version: 'TLSv1', label: 'TLS 1.0', expected: 'refused' },
  { version: 'TLSv1.1', label: 'TLS 1.1', expected: 'refused' },
  { version: 'TLSv1.2', label: 'TLS 1.2', expected: 'accepted' },
  { version: 'TLSv1.3', label: 'TLS 1.3', expected: 'accepted' },
];

/** The server answered, but not with a handshake in the version offered. */
const SERVER_REFUSALS = new Set([
  // It chose a version we did not offer.
  'ERR_SSL_UNSUPPORTED_PROTOCOL',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  // It hung up on the ClientHello.
  'ECONNRESET',
  'EPIPE',
]);

/** This client could not make the offer: nothing reached the server. */
const CLIENT_REFUSALS = new Set([
  'ERR_SSL_NO_PROTOCOLS_AVAILABLE',
  'ERR_SSL_NO_CIPHERS_AVAILABLE',
  'ERR_TLS_INVALID_PROTOCOL_VERSION',
  'ERR_SSL_NO_SUITABLE_SIGNATURE_ALGORITHM',
  'ERR_OSSL_EVP_UNSUPPORTED',
]);

/** The connection itself failed: no version can be judged. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export type ProbeOutcome =
  | { kind: 'accepted'; protocol: string; cipher: string; group: string | undefined; handshakeMs: number }
  | { kind: 'refused-by-server' | 'refused-by-client' | 'unreachable'; reason: string };

export async function checkTlsVersions(target: CheckTarget): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const probe of PROBES) results.push(judge(probe, await probeVersion(target, probe)));
  return results;
}

/** One handshake offering only `version`. */
export async function probeVersion(target: CheckTarget, probe: VersionProbe): Promise<ProbeOutcome> {
  const legacy = probe.expected === 'refused';
  try {
    const { socket, handshakeMs } = await connectTls(target, {
      minVersion: probe.version,
      maxVersion: probe.version,
      ...(legacy ? { ciphers: 'DEFAULT@SECLEVEL=0' } : {}),
    });
    const protocol = socket.getProtocol() ?? '?';
    const cipher = socket.getCipher()?.name ?? '?';
    // The key exchange group negotiated: X25519MLKEM768 (post-quantum hybrid), X25519, P-256...
    const group = (socket.getEphemeralKeyInfo() as { name?: string } | null)?.name;
    socket.destroy();
    return { kind: 'accepted', protocol, cipher, group, handshakeMs };
  } catch (error) {
    return { kind: classify(error as NodeJS.ErrnoException), reason: describeError(error) };
  }
}

function classify(error: NodeJS.ErrnoException): 'refused-by-server' | 'refused-by-client' | 'unreachable' {
  const code = error.code ?? '';
  // ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION, ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE...: an alert the server sent.
  if (/_ALERT_/.test(code) || SERVER_REFUSALS.has(code)) return 'refused-by-server';
  if (/socket disconnected before secure TLS connection/i.test(error.message)) return 'refused-by-server';
  if (UNREACHABLE.has(code)) return 'unreachable';
  if (
    CLIENT_REFUSALS.has(code) ||
    /no protocols available|no ciphers available|unsupported protocol version/i.test(error.message)
  )
    return 'refused-by-client';
  // Anything else cannot be pinned on the server.
  return 'refused-by-client';
}

/**
 * "key exchange X25519MLKEM768 (post-quantum)": what this client and the server agreed on. A client whose OpenSSL
 * has no ML-KEM (Node 20) cannot offer it, so a classical group then says nothing about the server.
 */
export function keyExchange(group: string | undefined): string {
  if (!group) return 'key exchange unknown';
  return /MLKEM/i.test(group) ? `key exchange ${group} (post-quantum)` : `key exchange ${group}`;
}

function judge(probe: VersionProbe, outcome: ProbeOutcome): CheckResult {
  const base = { group: GROUP, name: probe.label, target: probe.expected };
  switch (outcome.kind) {
    case 'accepted':
      return probe.expected === 'accepted'
        ? {
            ...base,
            status: 'pass',
            figure: 'accepted',
            detail: `${outcome.cipher}, ${keyExchange(outcome.group)}, handshake ${formatMs(outcome.handshakeMs)}`,
            value: round(outcome.handshakeMs),
            unit: 'ms',
          }
        : {
            ...base,
            status: 'fail',
            figure: 'accepted',
            detail: `${outcome.cipher}: the server still speaks ${probe.label}; allow TLS 1.2 and 1.3 only`,
          };
    case 'refused-by-server':
      return probe.expected === 'refused'
        ? { ...base, status: 'pass', figure: 'refused', detail: `by the server: ${outcome.reason}` }
        : { ...base, status: 'fail', figure: 'refused', detail: `by the server: ${outcome.reason}` };
    case 'unreachable':
      return { ...base, status: 'fail', figure: 'no answer', detail: outcome.reason };
    case 'refused-by-client':
      return probe.expected === 'refused'
        ? {
            ...base,
            status: 'inconclusive',
            figure: 'not tested',
            detail: `this client cannot offer ${probe.label} (${outcome.reason}); the server's answer is unknown`,
          }
        : { ...base, status: 'fail', figure: 'failed', detail: outcome.reason };
  }
}
