// The TLS key exchange groups the proxy offers (nginx `ssl_ecdh_curve`, Caddy's `curves`): --tls-groups.
//
// Post-quantum first where the runtime's OpenSSL has it: X25519MLKEM768, the hybrid of X25519 and ML-KEM-768
// (FIPS 203) that Chrome, Firefox and Caddy offer by default, protects today's sessions against a later quantum
// computer ("harvest now, decrypt later"). OpenSSL 3.5 (Node 24) has it, OpenSSL 3.0 (Node 20) does not: there
// the default is the classical list alone. A client that does not offer the hybrid gets X25519 or P-256 as before.
//
// What it costs (docs/PERFORMANCE.md, "Node 24"): a larger ClientHello/ServerHello (1.2 KB key shares each way)
// and some memory per connection while the handshake runs. Operators who hold many idle connections on a small
// machine may prefer `--tls-groups X25519:P-256:P-384`.

import { createSecureContext } from 'node:tls';

export const POST_QUANTUM_GROUP = 'X25519MLKEM768';
/** The classical groups, in nginx's and Mozilla's "intermediate" order. */
export const CLASSICAL_GROUPS = ['X25519', 'P-256', 'P-384'] as const;

/** Whether this runtime's OpenSSL can offer `group` (X25519MLKEM768: OpenSSL 3.5, Node 24). */
export function runtimeSupportsGroup(group: string): boolean {
  try {
    createSecureContext({ ecdhCurve: group });
    return true;
  } catch {
    return false;
  }
}

/** The default of --tls-groups: the post-quantum hybrid first where supported, then the classical groups. */
export function defaultTlsGroups(): string[] {
  return runtimeSupportsGroup(POST_QUANTUM_GROUP) ? [POST_QUANTUM_GROUP, ...CLASSICAL_GROUPS] : [...CLASSICAL_GROUPS];
}

/** The check of --tls-groups: every group must be one this runtime's OpenSSL knows. */
export function tlsGroupsProblem(groups: readonly string[]): string | undefined {
  if (groups.length === 0) return 'expects at least one group';
  const unknown = groups.filter((group) => group === 'auto' || !runtimeSupportsGroup(group));
  if (unknown.length === 0) return undefined;
  return `${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a key exchange group this runtime's OpenSSL ${process.versions.openssl} supports (e.g. ${defaultTlsGroups().join(':')})`;
}
