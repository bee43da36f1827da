// Storage of charging profiles: per charger, one row per chargingProfileId with the profile as sent and the
// charger's last answer. The Accepted rows are what the charger holds by our records (what a reboot makes us send
// again); OCPP 1.6 §5.16 replacement rules (same id, or same connector + purpose + stack level) are applied here.

import type { Kysely } from 'kysely';
import type { ChargingProfile, ChargingProfilePurpose } from '../../common/charging-profile.js';
import type { Store } from './store.js';

interface ChargingProfileTable {
  id: number;
  charge_point_id: string;
  connector_id: number;
  profile_id: number;
  stack_level: number;
  purpose: string;
  transaction_id: number | null;
  profile: string;
  status: string;
  source: string;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

/** The charger's answer; Failed: no answer (offline, timeout, CALLERROR). */
export type ProfileStatus = 'Accepted' | 'Rejected' | 'NotSupported' | 'Failed';

export interface StoredChargingProfile {
  chargePointId: string;
  connectorId: number;
  profile: ChargingProfile;
  status: ProfileStatus;
  /** api, or group:<id>. */
  source: string;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

/** ClearChargingProfile's criteria (all optional; none: every profile). */
export interface ClearCriteria {
  id?: number;
  connectorId?: number;
  chargingProfilePurpose?: ChargingProfilePurpose;
  stackLevel?: number;
}

export class ChargingProfileStore {
  private readonly db: Kysely<{ charging_profiles: ChargingProfileTable }>;

  constructor(store: Store) {
    this.db = store.db as unknown as Kysely<{ charging_profiles: ChargingProfileTable }>;
  }

  /**
   * Records the charger's answer to SetChargingProfile. Accepted: it replaced the profiles with the same id or the
   * same connector, purpose and stack level (removed here). Otherwise the charger kept what it had: an Accepted row
   * of that id stays as it was, and the refusal is recorded only when there is none.
   */
  async record(
    entry: { chargePointId: string; connectorId: number; profile: ChargingProfile; source: string },
    status: ProfileStatus,
    lastError: string | null,
    now: string,
  ): Promise<StoredChargingProfile> {
    const { chargePointId, connectorId, profile } = entry;
    return this.db.transaction().execute(async (trx) => {
      const existing = await trx
        .selectFrom('charging_profiles')
        .selectAll()
        .where('charge_point_id', '=', chargePointId)
        .where('profile_id', '=', profile.chargingProfileId)
        .executeTakeFirst();
      if (status !== 'Accepted' && existing?.status === 'Accepted') return toProfile(existing);
      if (status === 'Accepted')
        await trx
          .deleteFrom('charging_profiles')
          .where('charge_point_id', '=', chargePointId)
          .where('connector_id', '=', connectorId)
          .where('purpose', '=', profile.chargingProfilePurpose)
          .where('stack_level', '=', profile.stackLevel)
          .where('profile_id', '!=', profile.chargingProfileId)
          .execute();
      const values = {
        connector_id: connectorId,
        stack_level: profile.stackLevel,
        purpose: profile.chargingProfilePurpose,
        transaction_id: profile.transactionId ?? null,
        profile: JSON.stringify(profile),
        status,
        source: entry.source,
        last_error: lastError,
        updated_at: now,
      };
      if (existing) await trx.updateTable('charging_profiles').set(values).where('id', '=', existing.id).execute();
      else
        await trx
          .insertInto('charging_profiles')
          .values({
            ...values,
            charge_point_id: chargePointId,
            profile_id: profile.chargingProfileId,
            created_at: now,
          } as never)
          .execute();
      const row = await trx
        .selectFrom('charging_profiles')
        .selectAll()
        .where('charge_point_id', '=', chargePointId)
        .where('profile_id', '=', profile.chargingProfileId)
        .executeTakeFirstOrThrow();
      return toProfile(row);
    });
  }

  async list(chargePointId: string, filter: { status?: ProfileStatus } = {}): Promise<StoredChargingProfile[]> {
    let query = this.db.selectFrom('charging_profiles').selectAll().where('charge_point_id', '=', chargePointId);
    if (filter.status) query = query.where('status', '=', filter.status);
    return (await query.orderBy('connector_id').orderBy('purpose').orderBy('stack_level').execute()).map(toProfile);
  }

  /** The Accepted profiles a source (group:<id>) set, on every charger. */
  async fromSource(source: string): Promise<StoredChargingProfile[]> {
    const rows = await this.db
      .selectFrom('charging_profiles')
      .selectAll()
      .where('source', '=', source)
      .where('status', '=', 'Accepted')
      .execute();
    return rows.map(toProfile);
  }

  /** A free chargingProfileId on this charger (ids from the group balancer's range excluded). */
  async nextProfileId(chargePointId: string, below: number): Promise<number> {
    const row = await this.db
      .selectFrom('charging_profiles')
      .select((eb) => eb.fn.max('profile_id').as('highest'))
      .where('charge_point_id', '=', chargePointId)
      .where('profile_id', '<', below)
      .executeTakeFirst();
    return Number(row?.highest ?? 0) + 1;
  }

  /** Removes what a ClearChargingProfile with these criteria removed on the charger; returns the rows removed. */
  async clear(chargePointId: string, criteria: ClearCriteria): Promise<number> {
    let query = this.db.deleteFrom('charging_profiles').where('charge_point_id', '=', chargePointId);
    // OCPP 1.6 §5.5: with an id, that profile alone; otherwise every profile matching all the criteria given.
    if (criteria.id !== undefined) query = query.where('profile_id', '=', criteria.id);
    else {
      if (criteria.connectorId !== undefined) query = query.where('connector_id', '=', criteria.connectorId);
      if (criteria.chargingProfilePurpose !== undefined)
        query = query.where('purpose', '=', criteria.chargingProfilePurpose);
      if (criteria.stackLevel !== undefined) query = query.where('stack_level', '=', criteria.stackLevel);
    }
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** A TxProfile ends with its transaction (OCPP 1.6 §3.13.2): the charger dropped it. */
  async dropTransactionProfiles(chargePointId: string, transactionId: number): Promise<number> {
    const result = await this.db
      .deleteFrom('charging_profiles')
      .where('charge_point_id', '=', chargePointId)
      .where('purpose', '=', 'TxProfile')
      .where('transaction_id', '=', transactionId)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** TxProfiles whose transaction is not among `running` (ended while we were not told, e.g. across a reboot). */
  async dropStaleTransactionProfiles(chargePointId: string, running: readonly number[]): Promise<number> {
    let query = this.db
      .deleteFrom('charging_profiles')
      .where('charge_point_id', '=', chargePointId)
      .where('purpose', '=', 'TxProfile');
    if (running.length > 0)
      query = query.where((eb) => eb.or([eb('transaction_id', 'is', null), eb('transaction_id', 'not in', running)]));
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function toProfile(row: ChargingProfileTable): StoredChargingProfile {
  return {
    chargePointId: row.charge_point_id,
    connectorId: Number(row.connector_id),
    profile: JSON.parse(row.profile) as ChargingProfile,
    status: row.status as ProfileStatus,
    source: row.source,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
