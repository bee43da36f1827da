// Storage of charging groups (a site, a feeder: chargers sharing one current or power limit), their members, and
// what the balancer reads to divide the limit: the running sessions of the members and what they last drew.

import type { Kysely } from 'kysely';
import type { Store } from './store.js';

interface GroupTable {
  id: string;
  name: string | null;
  limit_value: number;
  unit: string;
  phases: number;
  voltage: number;
  min_current: number;
  created_at: string;
  updated_at: string;
}

interface MemberTable {
  charge_point_id: string;
  group_id: string;
  added_at: string;
}

interface Tables {
  charging_groups: GroupTable;
  charging_group_members: MemberTable;
  transactions: {
    id: number;
    charge_point_id: string;
    connector_id: number;
    start_time: string;
    stop_time: string | null;
  };
  charge_points: { id: string; model: string | null; vendor: string | null };
  meter_values: {
    id: number;
    transaction_id: number | null;
    sampled_at: string;
    value: string;
    measurand: string | null;
    unit: string | null;
    phase: string | null;
  };
}

export interface ChargingGroup {
  id: string;
  name: string | null;
  limit: number;
  unit: 'A' | 'W';
  phases: number;
  voltage: number;
  minCurrent: number;
  createdAt: string;
  updatedAt: string;
}

export type GroupChanges = Partial<
  Pick<ChargingGroup, 'name' | 'limit' | 'unit' | 'phases' | 'voltage' | 'minCurrent'>
>;

export interface GroupMember {
  chargePointId: string;
  model: string | null;
  addedAt: string;
}

export interface GroupSession {
  transactionId: number;
  chargePointId: string;
  connectorId: number;
  startedAt: string;
  model: string | null;
}

/** The last reading of a session's draw: Current.Import (A per phase, the highest phase) or Power.Active.Import (W). */
export interface DrawReading {
  measurand: 'Current.Import' | 'Power.Active.Import';
  value: number;
  sampledAt: string;
}

export class ChargingGroupStore {
  private readonly db: Kysely<Tables>;

  constructor(store: Store) {
    this.db = store.db as unknown as Kysely<Tables>;
  }

  async create(group: Omit<ChargingGroup, 'createdAt' | 'updatedAt'>, now: string): Promise<ChargingGroup | undefined> {
    if (await this.get(group.id)) return undefined;
    await this.db
      .insertInto('charging_groups')
      .values({
        id: group.id,
        name: group.name,
        limit_value: group.limit,
        unit: group.unit,
        phases: group.phases,
        voltage: group.voltage,
        min_current: group.minCurrent,
        created_at: now,
        updated_at: now,
      })
      .execute();
    return this.get(group.id);
  }

  async get(id: string): Promise<ChargingGroup | undefined> {
    const row = await this.db.selectFrom('charging_groups').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toGroup(row);
  }

  async list(): Promise<ChargingGroup[]> {
    return (await this.db.selectFrom('charging_groups').selectAll().orderBy('id').execute()).map(toGroup);
  }

  async update(id: string, changes: GroupChanges, now: string): Promise<ChargingGroup | undefined> {
    const set: Partial<GroupTable> = { updated_at: now };
    if (changes.name !== undefined) set.name = changes.name;
    if (changes.limit !== undefined) set.limit_value = changes.limit;
    if (changes.unit !== undefined) set.unit = changes.unit;
    if (changes.phases !== undefined) set.phases = changes.phases;
    if (changes.voltage !== undefined) set.voltage = changes.voltage;
    if (changes.minCurrent !== undefined) set.min_current = changes.minCurrent;
    const result = await this.db.updateTable('charging_groups').set(set).where('id', '=', id).executeTakeFirst();
    return result.numUpdatedRows > 0n ? this.get(id) : undefined;
  }

  async delete(id: string): Promise<boolean> {
    await this.db.deleteFrom('charging_group_members').where('group_id', '=', id).execute();
    const result = await this.db.deleteFrom('charging_groups').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /** Puts the charger in the group (out of any other); returns the group it was in before, if another. */
  async addMember(groupId: string, chargePointId: string, now: string): Promise<string | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const before = await trx
        .selectFrom('charging_group_members')
        .select('group_id')
        .where('charge_point_id', '=', chargePointId)
        .executeTakeFirst();
      if (before?.group_id === groupId) return undefined;
      await trx.deleteFrom('charging_group_members').where('charge_point_id', '=', chargePointId).execute();
      await trx
        .insertInto('charging_group_members')
        .values({ charge_point_id: chargePointId, group_id: groupId, added_at: now })
        .execute();
      return before?.group_id;
    });
  }

  async removeMember(groupId: string, chargePointId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('charging_group_members')
      .where('group_id', '=', groupId)
      .where('charge_point_id', '=', chargePointId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async members(groupId: string): Promise<GroupMember[]> {
    const rows = await this.db
      .selectFrom('charging_group_members as m')
      .leftJoin('charge_points as c', 'c.id', 'm.charge_point_id')
      .select(['m.charge_point_id', 'm.added_at', 'c.model'])
      .where('m.group_id', '=', groupId)
      .orderBy('m.charge_point_id')
      .execute();
    return rows.map((row) => ({ chargePointId: row.charge_point_id, model: row.model ?? null, addedAt: row.added_at }));
  }

  async groupOf(chargePointId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('charging_group_members')
      .select('group_id')
      .where('charge_point_id', '=', chargePointId)
      .executeTakeFirst();
    return row?.group_id;
  }

  /** The running transactions of the group's members, oldest first. */
  async sessions(groupId: string): Promise<GroupSession[]> {
    const rows = await this.db
      .selectFrom('transactions as t')
      .innerJoin('charging_group_members as m', 'm.charge_point_id', 't.charge_point_id')
      .leftJoin('charge_points as c', 'c.id', 't.charge_point_id')
      .select(['t.id', 't.charge_point_id', 't.connector_id', 't.start_time', 'c.model'])
      .where('m.group_id', '=', groupId)
      .where('t.stop_time', 'is', null)
      .orderBy('t.start_time')
      .orderBy('t.id')
      .execute();
    return rows.map((row) => ({
      transactionId: Number(row.id),
      chargePointId: row.charge_point_id,
      connectorId: Number(row.connector_id),
      startedAt: row.start_time,
      model: row.model ?? null,
    }));
  }

  /** What the session drew at its last MeterValues that said (Current.Import preferred over Power.Active.Import). */
  async lastDraw(transactionId: number): Promise<DrawReading | undefined> {
    const rows = await this.db
      .selectFrom('meter_values')
      .select(['sampled_at', 'value', 'measurand', 'unit', 'phase'])
      .where('transaction_id', '=', transactionId)
      .where('measurand', 'in', ['Current.Import', 'Power.Active.Import'])
      .orderBy('id', 'desc')
      .limit(8)
      .execute();
    const latest = rows[0]?.sampled_at;
    if (latest === undefined) return undefined;
    const now = rows.filter((row) => row.sampled_at === latest);
    const currents = now.filter((row) => row.measurand === 'Current.Import' && row.phase !== 'N');
    if (currents.length > 0)
      return {
        measurand: 'Current.Import',
        value: Math.max(...currents.map((row) => Number(row.value)).filter(Number.isFinite)),
        sampledAt: latest,
      };
    const power = now.find((row) => row.measurand === 'Power.Active.Import' && !row.phase);
    if (!power || !Number.isFinite(Number(power.value))) return undefined;
    const watts = power.unit === 'kW' ? Number(power.value) * 1000 : Number(power.value);
    return { measurand: 'Power.Active.Import', value: watts, sampledAt: latest };
  }
}

function toGroup(row: GroupTable): ChargingGroup {
  return {
    id: row.id,
    name: row.name,
    limit: Number(row.limit_value),
    unit: row.unit as 'A' | 'W',
    phases: Number(row.phases),
    voltage: Number(row.voltage),
    minCurrent: Number(row.min_current),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
