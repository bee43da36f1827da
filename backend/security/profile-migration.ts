// Raising a charger's security profile, as the OCPP 1.6 Security Whitepaper (edition 3, "Migration to higher
// security profile"; OCTT TC_083_CSMS) has it:
//
//   1. the operator asks for a higher profile (POST /api/charge-points/{id}/security-profile); the prerequisites
//      are checked here first (a password for 1 and 2; for 3 --cpo-name and a charger certificate, which the
//      whitepaper wants installed before the switch: the charger rejects the change otherwise);
//   2. ChangeConfiguration SecurityProfile=N goes to the charger: `pending`;
//   3. Accepted (or RebootRequired): `accepted`, then Reset Hard (as OCTT does; `reset: false` leaves the reboot to
//      the operator). The stored profile is still the old one, and the old way of connecting still works;
//   4. the first upgrade that meets the new profile `confirm`s it: the new profile is stored, and from then on the
//      old way is refused (profile_below_required);
//   5. Rejected/NotSupported, no answer, or no reconnect with the new profile before the deadline: `rejected` or
//      `timed_out`, and the old profile stays in force. The charger does not fall back by itself (TC_083_CS: it
//      SHALL NOT reconnect with the old profile once it accepted), so a timed-out one needs a look on site.
//
// Lowering is refused: the whitepaper lets a charger only raise its SecurityProfile (it answers Rejected to a
// lower value, TC_084_CS), so the API does not try. Every step is logged, counted
// (ocpp_edge_security_profile_migrations_total{result}) and emitted (security.profile.migration).

import type { Counter } from 'prom-client';
import type { Logger } from '../../common/logger.js';
import type { EventBus } from '../events/bus.js';
import { CallTimeoutError, NotConnectedError, type ConnectionRegistry } from '../ocpp/connections.js';
import type { ProfileMigration, ProfileMigrationStatus } from '../store/profile-migration-store.js';
import type { Store } from '../store/store.js';
import type { MigrationGate } from './charger-authentication.js';
import { usesPassword, type SecurityProfile } from './security-profile.js';

/** How long an accepted migration waits for the reconnect by default: a reboot, with room for a slow one. */
export const DEFAULT_MIGRATION_WAIT_S = 600;

export interface RaiseRequest {
  securityProfile: SecurityProfile;
  /** Send Reset Hard after the charger accepted (default true). */
  reset?: boolean;
  /** Seconds to wait for the reconnect with the new profile. */
  waitSeconds?: number;
  /** Profile 3: the operator vouches that the charger has a client certificate (e.g. installed at the factory). */
  chargerHasCertificate?: boolean;
}

export type RaiseResult =
  | { ok: true; migration: ProfileMigration }
  | { ok: false; status: 400 | 404 | 409 | 502 | 504; message: string; migration?: ProfileMigration };

export interface ProfileMigrationsOptions {
  store: Store;
  connections: ConnectionRegistry;
  events: EventBus;
  logger: Logger;
  counter: Counter<'result'>;
  callTimeoutMs: number;
  /** --cpo-name: profile 3 cannot be checked without it. */
  cpoName: string | undefined;
}

export class ProfileMigrations implements MigrationGate {
  private readonly timers = new Map<number, NodeJS.Timeout>();
  /** Migrations whose charger came back the old way (logged once each). */
  private readonly oldWayLogged = new Set<number>();

  constructor(private readonly options: ProfileMigrationsOptions) {}

  async raise(chargePointId: string, request: RaiseRequest): Promise<RaiseResult> {
    const { store, logger } = this.options;
    const target = request.securityProfile;
    const chargePoint = await store.getChargePoint(chargePointId);
    if (!chargePoint) return { ok: false, status: 404, message: `charge point ${chargePointId} is not registered` };
    const from = chargePoint.securityProfile;
    if (target === from)
      return { ok: false, status: 409, message: `charge point ${chargePointId} already has security profile ${from}` };
    if (target < from)
      return {
        ok: false,
        status: 409,
        message: `a charger only raises its SecurityProfile (OCPP 1.6 Security Whitepaper; it answers Rejected to ${target} < ${from}); if it was reconfigured on site, set securityProfile with PUT /api/charge-points/${chargePointId}`,
      };
    if (usesPassword(target) && !chargePoint.passwordHash)
      return {
        ok: false,
        status: 409,
        message: `security profile ${target} needs a password: set authorizationKey first`,
      };
    if (target === 3) {
      if (!this.options.cpoName)
        return { ok: false, status: 409, message: 'security profile 3 needs --cpo-name on the backend' };
      if (!request.chargerHasCertificate && !(await this.hasSignedCertificate(chargePointId)))
        return {
          ok: false,
          status: 409,
          message:
            'security profile 3 needs a charger certificate first: none was signed and accepted for it (SignCertificate → CertificateSigned); if it has one from elsewhere, give chargerHasCertificate: true',
        };
    }
    const running = await this.current(chargePointId);
    if (running && (running.status === 'pending' || running.status === 'accepted'))
      return {
        ok: false,
        status: 409,
        message: `a migration to security profile ${running.toProfile} is ${running.status}`,
        migration: running,
      };

    const waitMs = (request.waitSeconds ?? DEFAULT_MIGRATION_WAIT_S) * 1000;
    const requestedAt = new Date();
    let migration = await store.profileMigrations.add({
      chargePointId,
      fromProfile: from,
      toProfile: target,
      requestedAt: requestedAt.toISOString(),
      // While pending: the call's own timeout, with a margin; a process that died mid-call leaves nothing hanging.
      deadlineAt: new Date(requestedAt.getTime() + this.options.callTimeoutMs * 2).toISOString(),
    });
    this.record(migration, 'requested', `raising security profile ${from} → ${target}`);

    let answer: { status?: string };
    try {
      answer = (await this.options.connections.call(
        chargePointId,
        'ChangeConfiguration',
        { key: 'SecurityProfile', value: String(target) },
        { timeoutMs: this.options.callTimeoutMs },
      )) as { status?: string };
    } catch (error) {
      const reason =
        error instanceof NotConnectedError
          ? 'the charger is not connected'
          : error instanceof CallTimeoutError
            ? 'the charger did not answer ChangeConfiguration'
            : `ChangeConfiguration failed: ${(error as Error).message}`;
      migration = await this.end(migration, 'pending', 'rejected', reason);
      const status = error instanceof NotConnectedError ? 409 : error instanceof CallTimeoutError ? 504 : 502;
      return { ok: false, status, message: `${reason}: security profile ${from} stays in force`, migration };
    }
    if (answer.status !== 'Accepted' && answer.status !== 'RebootRequired') {
      const reason = `the charger answered ${answer.status} to SecurityProfile ${target}`;
      migration = await this.end(migration, 'pending', 'rejected', reason);
      return { ok: false, status: 409, message: `${reason}: security profile ${from} stays in force`, migration };
    }

    const deadlineAt = new Date(Date.now() + waitMs).toISOString();
    const detail = `the charger answered ${answer.status}; waiting until ${deadlineAt} for it to reconnect with security profile ${target}`;
    const now = new Date().toISOString();
    if (!(await store.profileMigrations.transition(migration.id, 'pending', 'accepted', detail, now, deadlineAt)))
      return { ok: false, status: 409, message: 'the migration changed meanwhile', migration };
    migration = { ...migration, status: 'accepted', detail, deadlineAt, updatedAt: now };
    this.record(migration, 'accepted', detail);
    this.armTimer(migration, waitMs);

    if (request.reset !== false) {
      try {
        const reset = (await this.options.connections.call(
          chargePointId,
          'Reset',
          { type: 'Hard' },
          { timeoutMs: this.options.callTimeoutMs },
        )) as { status?: string };
        logger.info({ chargePointId, status: reset.status }, 'security profile migration: Reset Hard sent');
      } catch (error) {
        // The charger may already be rebooting on its own; the deadline decides.
        logger.warn(
          { chargePointId, err: error },
          `security profile migration: Reset failed (${(error as Error).message}); waiting for the reconnect anyway`,
        );
      }
    }
    return { ok: true, migration };
  }

  async current(identity: string): Promise<ProfileMigration | undefined> {
    const migration = await this.options.store.profileMigrations.latest(identity);
    if (!migration) return undefined;
    if ((migration.status === 'accepted' || migration.status === 'pending') && overdue(migration)) {
      const reason =
        migration.status === 'accepted'
          ? `no reconnect with security profile ${migration.toProfile} by ${migration.deadlineAt}`
          : 'the ChangeConfiguration was never answered';
      return this.end(migration, migration.status, migration.status === 'accepted' ? 'timed_out' : 'rejected', reason);
    }
    return migration;
  }

  async confirm(migration: ProfileMigration): Promise<void> {
    const detail = `reconnected with security profile ${migration.toProfile}`;
    const now = new Date().toISOString();
    if (!(await this.options.store.profileMigrations.confirm(migration, detail, now))) return;
    this.disarmTimer(migration.id);
    this.record({ ...migration, status: 'confirmed', detail, updatedAt: now }, 'confirmed', detail);
  }

  connectedWithOldProfile(migration: ProfileMigration): void {
    if (this.oldWayLogged.has(migration.id)) return;
    this.oldWayLogged.add(migration.id);
    this.options.logger.warn(
      { chargePointId: migration.chargePointId, fromProfile: migration.fromProfile, toProfile: migration.toProfile },
      `security profile migration: the charger reconnected with profile ${migration.fromProfile}, not ${migration.toProfile}; still accepted until ${migration.deadlineAt}`,
    );
  }

  /** Stops the deadline timers (shutdown); the deadlines themselves are in the database. */
  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private async hasSignedCertificate(chargePointId: string): Promise<boolean> {
    const requests = await this.options.store.security.listCertificateRequests(chargePointId, 50);
    return requests.some((request) => request.status === 'accepted');
  }

  private async end(
    migration: ProfileMigration,
    from: ProfileMigrationStatus,
    to: 'rejected' | 'timed_out',
    reason: string,
  ): Promise<ProfileMigration> {
    const now = new Date().toISOString();
    this.disarmTimer(migration.id);
    // Another backend may have ended it first: then it is counted and logged there.
    if (!(await this.options.store.profileMigrations.transition(migration.id, from, to, reason, now)))
      return (await this.options.store.profileMigrations.latest(migration.chargePointId)) ?? migration;
    const ended = { ...migration, status: to, detail: reason, updatedAt: now };
    this.record(ended, to, reason);
    return ended;
  }

  private armTimer(migration: ProfileMigration, waitMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(migration.id);
      this.current(migration.chargePointId).catch((error: unknown) =>
        this.options.logger.error(
          { err: error, chargePointId: migration.chargePointId },
          'migration deadline check failed',
        ),
      );
    }, waitMs + 50);
    timer.unref();
    this.timers.set(migration.id, timer);
  }

  private disarmTimer(id: number): void {
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
  }

  /** One log line, one count, one event per step. */
  private record(
    migration: ProfileMigration,
    result: 'requested' | 'accepted' | 'rejected' | 'confirmed' | 'timed_out',
    detail: string,
  ): void {
    const { logger, counter, events } = this.options;
    counter.inc({ result });
    const fields = {
      chargePointId: migration.chargePointId,
      fromProfile: migration.fromProfile,
      toProfile: migration.toProfile,
      migration: result,
    };
    if (result === 'rejected' || result === 'timed_out')
      logger.warn(fields, `security profile migration ${result}: ${detail}; profile ${migration.fromProfile} stays`);
    else logger.info(fields, `security profile migration ${result}: ${detail}`);
    if (result === 'requested') return;
    events.emit('security.profile.migration', {
      chargePointId: migration.chargePointId,
      fromProfile: migration.fromProfile,
      toProfile: migration.toProfile,
      status: migration.status,
      detail,
    });
  }
}

function overdue(migration: ProfileMigration): boolean {
  return Date.parse(migration.deadlineAt) <= Date.now();
}
