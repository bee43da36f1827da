// When to renew a certificate. Pure functions: the source and `certs renew` feed them facts and act on the answer.
//
// Without ARI: when a third of the lifetime remains (90-day → 30 days before expiry, 45-day → 15, 6-day → 2).
// A fixed offset such as "30 days before" cannot serve short-lived certificates; a fraction can.
// With ARI (RFC 9773): the CA's suggested window wins; we pick a uniformly random moment inside it (§4.2) so a
// fleet renewing the same day spreads its load, and keep that moment while the window stays the same.

import { coversAll } from './certificate-info.js';

export interface RenewalWindow {
  start: Date;
  end: Date;
}

export interface RenewalDecision {
  /** When the certificate should be renewed (may be in the past: renew now). */
  renewAt: Date;
  reason: string;
}

/** Facts about the live certificate the decision depends on. */
export interface LiveCertificateFacts {
  names: string[];
  keyType: string;
  directory: string;
  notBefore: Date;
  notAfter: Date;
  /** When we stored it (not notBefore: CAs backdate that). */
  issuedAt?: Date;
}

export interface WantedCertificate {
  domains: string[];
  keyType: string;
  directory: string;
}

/** Reasons the stored certificate cannot be kept at all, whatever its dates say. */
export function mismatchReason(live: LiveCertificateFacts, wanted: WantedCertificate): string | undefined {
  if (!coversAll(live.names, wanted.domains))
    return `certificate does not cover ${wanted.domains.filter((domain) => !coversAll(live.names, [domain])).join(', ')}`;
  if (live.keyType !== wanted.keyType) return `key type is ${live.keyType}, configured ${wanted.keyType}`;
  if (live.directory !== wanted.directory) return `issued by ${live.directory}, configured ${wanted.directory}`;
  return undefined;
}

/** A third of the lifetime remaining. */
export function lifetimeRenewalTime(notBefore: Date, notAfter: Date): Date {
  const lifetime = notAfter.getTime() - notBefore.getTime();
  return new Date(notAfter.getTime() - lifetime / 3);
}

/**
 * The moment to renew given an ARI window. An earlier pick for the same window is kept, so hourly checks do not
 * re-roll the dice; a changed window (the CA moved it, e.g. ahead of a revocation) gets a fresh pick.
 */
export function ariRenewalTime(
  window: RenewalWindow,
  previous: { window: RenewalWindow; renewAt: Date } | undefined,
  random: () => number = Math.random,
): Date {
  if (
    previous &&
    previous.window.start.getTime() === window.start.getTime() &&
    previous.window.end.getTime() === window.end.getTime()
  ) {
    return previous.renewAt;
  }
  const span = Math.max(0, window.end.getTime() - window.start.getTime());
  return new Date(window.start.getTime() + Math.floor(random() * span));
}

export function decideRenewal(
  live: LiveCertificateFacts,
  wanted: WantedCertificate,
  ari: { window: RenewalWindow; renewAt: Date } | undefined,
  now: Date,
): RenewalDecision {
  const mismatch = mismatchReason(live, wanted);
  if (mismatch) return { renewAt: now, reason: mismatch };
  if (live.notAfter.getTime() <= now.getTime()) return { renewAt: now, reason: 'certificate has expired' };
  // A window that had already closed when we received the certificate cannot be about it (a CA bug, or its
  // predecessor's window): following it would renew again and again. Fall back to the lifetime rule.
  if (ari && !(live.issuedAt && ari.window.end.getTime() < live.issuedAt.getTime())) {
    return { renewAt: ari.renewAt, reason: 'ACME renewal information (RFC 9773) window' };
  }
  return { renewAt: lifetimeRenewalTime(live.notBefore, live.notAfter), reason: 'a third of the lifetime remains' };
}
