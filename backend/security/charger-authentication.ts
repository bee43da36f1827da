// Who may open a charger's WebSocket: the one place the backend decides it, for any OCPP version. In order:
//   1. the request's origin: client-certificate or transport headers from anyone but a --trusted-proxy are refused
//      (forged); TLS is what a trusted proxy says it was (X-Forwarded-Proto: https, and not the transport header
//      `plain` of its HTTP listener), a direct request is plain HTTP;
//   2. the identity's syntax, then whether the charge point is known (--registration);
//   3. its security profile (security-profile.ts): TLS, the Basic auth password, the client certificate.
// Every refusal goes through UpgradeRefusals (log line, metric, status).

import type { IncomingHttpHeaders } from 'node:http';
import { isChargePointId } from '../../common/charge-point-identity.js';
import {
  readClientCertificateHeaders,
  type ClientCertificateVerification,
} from '../../common/client-certificate-headers.js';
import { hasProxyOwnedHeaders, readTransportHeader } from '../../common/transport-header.js';
import type { ProfileMigration } from '../store/profile-migration-store.js';
import type { ChargePoint, Store } from '../store/store.js';
import { basicCredentials, hexDecodedPassword } from './authorization-key.js';
import { certificateMismatch } from './charger-certificate.js';
import { PasswordVerifier } from './passwords.js';
import { requiresTls, usesPassword, type SecurityProfile } from './security-profile.js';
import type { TrustedProxies } from './trusted-proxies.js';
import type { RefusalDetails, UpgradeRefusal, UpgradeRefusalReason, UpgradeRefusals } from './upgrade-refusals.js';

/** A hash no password matches (its salt and hash are random), for timing-equal refusals. */
const DUMMY_HASH = 'scrypt$16384$8$1$1T3gPNiImmmUUzxMyFE3Gw==$un5VlWJPpqYRGP/jodDTUwiFFYhicPGTKIB6nNE1l2A=';

export interface UpgradeAttempt {
  identity: string;
  /** The Basic auth password (bytes: the whitepaper's AuthorizationKey may be binary), if one was sent. */
  password: Buffer | undefined;
  /** The TCP peer: the proxy, or the charger itself when it reached the backend directly. */
  remoteAddress: string | undefined;
  headers: IncomingHttpHeaders;
}

/** How the charger reached us, as far as the backend can tell. */
export interface ChargerTransport {
  tls: boolean;
  /**
   * The proxy took the connection on its HTTP listener (--plain-ocpp-on-http): only charge points of security
   * profile 1 may connect that way.
   */
  plainProxy: boolean;
  /** The proxy's verdict on the client certificate; undefined when no trusted proxy gave one. */
  clientCertificate: ClientCertificateVerification | undefined;
  /** The charger's address: X-Real-IP from a trusted proxy, else the TCP peer. */
  clientAddress: string | undefined;
}

/** One profile's judgement of an attempt (evaluate); a success may still have something to apply (settle). */
type Verdict =
  | { ok: true; pendingPassword: boolean }
  | { ok: false; reason: UpgradeRefusalReason; detail: string; facts: Record<string, unknown> };

/** What authentication needs of the profile migrations (profile-migration.ts). */
export interface MigrationGate {
  /** The charge point's newest migration, an accepted one past its deadline already timed out. */
  current(identity: string): Promise<ProfileMigration | undefined>;
  /** The charger reconnected with the new profile. */
  confirm(migration: ProfileMigration): Promise<void>;
  /** It reconnected the old way while the migration waits (allowed until the deadline; logged). */
  connectedWithOldProfile(migration: ProfileMigration): void;
}

export type AuthenticationResult =
  | { ok: true; chargePoint: ChargePoint | undefined; profile: SecurityProfile; transport: ChargerTransport }
  | UpgradeRefusal;

export interface ChargerAuthenticationOptions {
  store: Store;
  refusals: UpgradeRefusals;
  trustedProxies: TrustedProxies;
  /** open: unknown charge points are registered when they connect; known: refused (401). */
  registration: 'open' | 'known';
  /** --cpo-name: the O every profile-3 charger certificate must carry. */
  cpoName: string | undefined;
  /** Registers an unknown charge point (open registration). */
  register(identity: string): Promise<void>;
  /** A charger sent its AuthorizationKey as hex text rather than as bytes (counted, logged once). */
  onHexPassword?(identity: string): void;
  /** A charger logged in with the password of a rotation: the old one no longer works. */
  onPasswordRotated?(identity: string): void;
  /** Raising charge points' security profiles. */
  migrations: MigrationGate;
}

export class ChargerAuthentication {
  readonly passwords = new PasswordVerifier();

  constructor(private readonly options: ChargerAuthenticationOptions) {}

  /** Decides one upgrade. Rejects only when storage fails (the caller answers 503). */
  async authenticate(attempt: UpgradeAttempt): Promise<AuthenticationResult> {
    const { identity } = attempt;
    const transport = this.transportOf(attempt);
    const details: RefusalDetails = {
      chargePointId: identity,
      remoteAddress: attempt.remoteAddress,
      clientAddress: transport?.clientAddress,
    };
    const refuse = (reason: UpgradeRefusalReason, detail?: string, extra?: Record<string, unknown>) =>
      this.options.refusals.refuse(reason, { ...details, ...extra, detail });

    if (!transport) return refuse('untrusted_proxy_headers', 'client-certificate headers from an untrusted address');
    if (!isChargePointId(identity)) return refuse('invalid_identity');

    const chargePoint = await this.options.store.getChargePoint(identity);
    if (!chargePoint) {
      if (this.options.registration === 'known' || transport.plainProxy) {
        // Spend the same time as a wrong password, so response times do not tell which identities exist.
        await this.passwords.verify(attempt.password ?? '', DUMMY_HASH);
        if (transport.plainProxy)
          return refuse('plain_ws_not_allowed', "an unknown charge point over the proxy's plain ws:// listener");
        return refuse('unknown_charge_point', 'unknown charge point (registration known)');
      }
      await this.options.register(identity);
      // A new charge point has profile 0; a password it sent is not checked (there is none to check against).
      return { ok: true, chargePoint: undefined, profile: 0, transport };
    }

    const current = chargePoint.securityProfile;
    const migration = await this.options.migrations.current(identity);
    // Raising the profile (profile-migration.ts): once the charger accepted the new SecurityProfile, the new way is
    // tried first, and its first success makes it the charge point's profile.
    if (migration?.status === 'accepted') {
      const raised = await this.evaluate(attempt, transport, chargePoint, migration.toProfile);
      if (raised.ok) {
        await this.settle(identity, chargePoint, raised);
        await this.options.migrations.confirm(migration);
        return {
          ok: true,
          chargePoint: { ...chargePoint, securityProfile: migration.toProfile },
          profile: migration.toProfile,
          transport,
        };
      }
    }
    const verdict = await this.evaluate(attempt, transport, chargePoint, current);
    if (verdict.ok) {
      await this.settle(identity, chargePoint, verdict);
      if (migration?.status === 'accepted') this.options.migrations.connectedWithOldProfile(migration);
      return { ok: true, chargePoint, profile: current, transport };
    }
    // A raised charger that comes back the old way: refused, and said so (the old way would have passed).
    if (migration?.status === 'confirmed' && migration.toProfile === current) {
      const old = await this.evaluate(attempt, transport, chargePoint, migration.fromProfile);
      if (old.ok)
        return refuse(
          'profile_below_required',
          `connected as security profile ${migration.fromProfile}; raised to ${current} on ${migration.updatedAt}`,
          { securityProfile: current, tls: transport.tls },
        );
    }
    return refuse(verdict.reason, verdict.detail, verdict.facts);
  }

  /** Whether the attempt meets one security profile. No side effects: settle() applies a success. */
  private async evaluate(
    attempt: UpgradeAttempt,
    transport: ChargerTransport,
    chargePoint: ChargePoint,
    profile: SecurityProfile,
  ): Promise<Verdict> {
    const { identity } = attempt;
    const facts = { securityProfile: profile, tls: transport.tls };
    const deny = (reason: UpgradeRefusalReason, detail: string, more?: Record<string, unknown>): Verdict => ({
      ok: false,
      reason,
      detail,
      facts: { ...facts, ...more },
    });
    if (requiresTls(profile) && !transport.tls) return deny('tls_required', `security profile ${profile} requires TLS`);
    if (transport.plainProxy && profile !== 1)
      return deny(
        'plain_ws_not_allowed',
        `security profile ${profile} over the proxy's plain ws:// listener (profile 1 only)`,
      );
    if (profile === 3) return this.checkCertificate(identity, transport.clientCertificate, deny);
    if (!usesPassword(profile) && !chargePoint.passwordHash) return { ok: true, pendingPassword: false };
    if (!chargePoint.passwordHash) {
      await this.passwords.verify(attempt.password ?? '', DUMMY_HASH);
      return deny('password_not_set', `security profile ${profile} but no password is set`);
    }
    const credentials = basicCredentials(
      typeof attempt.headers.authorization === 'string' ? attempt.headers.authorization : undefined,
    );
    // Hashed even when no password was sent: every refusal takes the same time.
    const match = await this.matchPassword(identity, credentials?.password ?? Buffer.alloc(0), chargePoint);
    if (!credentials) return deny('password_missing', 'no Basic auth password sent');
    // OCPP-J: the user name is the identity, exactly (ocpp-rpc drops the password of any other user name).
    if (credentials.user !== identity)
      return deny('password_wrong', `Basic auth user ${JSON.stringify(credentials.user)} is not the identity`);
    if (!match) return deny('password_wrong', 'wrong Basic auth password');
    return { ok: true, pendingPassword: match === 'pending' };
  }

  /** What an accepted upgrade changes: a rotated password it logged in with becomes the only one. */
  private async settle(identity: string, chargePoint: ChargePoint, verdict: Verdict & { ok: true }): Promise<void> {
    if (!verdict.pendingPassword) return;
    await this.options.store.promotePendingPassword(identity, chargePoint.pendingPasswordHash!);
    this.options.onPasswordRotated?.(identity);
  }

  /** Profile 3: a certificate the proxy verified, issued to this identity by this CPO. */
  private checkCertificate(
    identity: string,
    certificate: ClientCertificateVerification | undefined,
    deny: (reason: UpgradeRefusalReason, detail: string, more?: Record<string, unknown>) => Verdict,
  ): Verdict {
    if (!certificate || certificate.verify === 'NONE')
      return deny('certificate_missing', 'security profile 3 but no client certificate');
    const facts = { subject: certificate.subject, serial: certificate.serial };
    if (certificate.verify === 'FAILED')
      return deny('certificate_invalid', `client certificate did not verify: ${certificate.reason}`, facts);
    const mismatch = certificateMismatch(certificate.der, identity, this.options.cpoName);
    if (!mismatch) return { ok: true, pendingPassword: false };
    switch (mismatch.mismatch) {
      case 'unreadable':
        return deny('certificate_invalid', 'the forwarded client certificate cannot be parsed', facts);
      case 'identity':
        return deny('certificate_identity', `certificate CN ${JSON.stringify(mismatch.subject?.commonName)}`, facts);
      case 'no_cpo_name':
        return deny('certificate_organization', 'no --cpo-name configured: profile 3 cannot be checked', facts);
      case 'organization':
        return deny(
          'certificate_organization',
          `certificate O ${JSON.stringify(mismatch.subject?.organization)} is not --cpo-name`,
          facts,
        );
    }
  }

  /**
   * Which stored password the sent one matches: the current one, or the pending one of a rotation. Compared on the
   * key's bytes: as sent, then (a charger that sends its AuthorizationKey as the hex text it was configured with)
   * hex-decoded.
   */
  private async matchPassword(
    identity: string,
    password: Buffer,
    chargePoint: ChargePoint,
  ): Promise<'current' | 'pending' | undefined> {
    const candidates = [password];
    const decoded = hexDecodedPassword(password);
    if (decoded) candidates.push(decoded);
    for (const [index, candidate] of candidates.entries()) {
      let match: 'current' | 'pending' | undefined;
      if (await this.passwords.verify(candidate, chargePoint.passwordHash!)) match = 'current';
      else if (
        chargePoint.pendingPasswordHash &&
        (await this.passwords.verify(candidate, chargePoint.pendingPasswordHash))
      )
        match = 'pending';
      if (match && index === 1) this.options.onHexPassword?.(identity);
      if (match) return match;
    }
    return undefined;
  }

  /** undefined: the request carries the proxy's own headers but does not come from a trusted proxy. */
  transportOf(attempt: Pick<UpgradeAttempt, 'remoteAddress' | 'headers'>): ChargerTransport | undefined {
    const { headers } = attempt;
    if (!this.options.trustedProxies.trusts(attempt.remoteAddress)) {
      if (hasProxyOwnedHeaders(headers)) return undefined;
      return { tls: false, plainProxy: false, clientCertificate: undefined, clientAddress: attempt.remoteAddress };
    }
    const realIp = headers['x-real-ip'];
    const plainProxy = readTransportHeader(headers) === 'plain';
    return {
      tls: !plainProxy && headers['x-forwarded-proto'] === 'https',
      plainProxy,
      clientCertificate: readClientCertificateHeaders(headers),
      clientAddress: typeof realIp === 'string' ? realIp : attempt.remoteAddress,
    };
  }
}
