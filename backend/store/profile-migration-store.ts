// The queries of security profile migrations (store.profileMigrations; backend/security/profile-migration.ts):
// one row per attempt to raise a charger's profile, newest last. Confirming one raises the charge point's stored
// profile in the same transaction, so the two never disagree.

import type { Kysely, Selectable } from 'kysely';
import type { SecurityProfile } from '../security/security-profile.js';
import type { Database, SecurityProfileMigrationTable } from './schema.js';

export type ProfileMigrationStatus = 'pending' | 'accepted' | 'confirmed' | 'rejected' | 'timed_out';

export interface ProfileMigration {
  id: number;
  chargePointId: string;
  fromProfile: SecurityProfile;
  toProfile: SecurityProfile;
  status: ProfileMigrationStatus;
  /** Why it was rejected or timed out, or what confirmed it; for people. */
  detail: string | null;
  requestedAt: string;
  /** An accepted migration waits until then for the reconnect with the new profile. */
  deadlineAt: string;
  updatedAt: string;
}

export class ProfileMigrationStore {
  constructor(private readonly db: Kysely<Database>) {}

  async add(migration: Omit<ProfileMigration, 'id' | 'updatedAt' | 'status' | 'detail'>): Promise<ProfileMigration> {
    const row = await this.db
      .insertInto('security_profile_migrations')
      .values({
        charge_point_id: migration.chargePointId,
        from_profile: migration.fromProfile,
        to_profile: migration.toProfile,
        status: 'pending',
        detail: null,
        requested_at: migration.requestedAt,
        deadline_at: migration.deadlineAt,
        updated_at: migration.requestedAt,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toMigration(row);
  }

  /** The newest migration of the charge point, whatever its state. */
  async latest(chargePointId: string): Promise<ProfileMigration | undefined> {
    const row = await this.db
      .selectFrom('security_profile_migrations')
      .selectAll()
      .where('charge_point_id', '=', chargePointId)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && toMigration(row);
  }

  async list(chargePointId: string, limit: number): Promise<ProfileMigration[]> {
    const rows = await this.db
      .selectFrom('security_profile_migrations')
      .selectAll()
      .where('charge_point_id', '=', chargePointId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toMigration);
  }

  /**
   * Moves a migration on, only from the state given (several backends may race to time one out): true when this
   * call moved it.
   */
  async transition(
    id: number,
    from: ProfileMigrationStatus,
    to: Exclude<ProfileMigrationStatus, 'confirmed'>,
    detail: string | null,
    now: string,
    deadlineAt?: string,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('security_profile_migrations')
      .set({ status: to, detail, updated_at: now, ...(deadlineAt !== undefined && { deadline_at: deadlineAt }) })
      .where('id', '=', id)
      .where('status', '=', from)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** The charger reconnected with the new profile: it becomes the charge point's profile. */
  async confirm(migration: ProfileMigration, detail: string, now: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const moved = await trx
        .updateTable('security_profile_migrations')
        .set({ status: 'confirmed', detail, updated_at: now })
        .where('id', '=', migration.id)
        .where('status', '=', 'accepted')
        .executeTakeFirst();
      if (moved.numUpdatedRows === 0n) return false;
      await trx
        .updateTable('charge_points')
        .set({ security_profile: migration.toProfile })
        .where('id', '=', migration.chargePointId)
        .execute();
      return true;
    });
  }
}

function toMigration(row: Selectable<SecurityProfileMigrationTable>): ProfileMigration {
  return {
    id: Number(row.id),
    chargePointId: row.charge_point_id,
    fromProfile: row.from_profile as SecurityProfile,
    toProfile: row.to_profile as SecurityProfile,
    status: row.status as ProfileMigrationStatus,
    detail: row.detail,
    requestedAt: row.requested_at,
    deadlineAt: row.deadline_at,
    updatedAt: row.updated_at,
  };
}
