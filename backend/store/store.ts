// The one query layer of the central system. Every write an OCPP answer depends on runs in a database
// transaction and is committed before the method returns, so a charger is never told "Accepted" for something
// that is not stored, and a failure leaves nothing half-written.

import { sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import { openDatabase, type DatabaseOptions, type Dialect } from './database.js';
import type { SqliteGroupCommit } from './sqlite-group-commit.js';
import { containsPattern } from './like-pattern.js';
import { migrateToLatest } from './migrations.js';
import {
  addDeviceEvents,
  listDeviceEvents,
  listDeviceVariables,
  listEvseConnectors,
  listTransactionEvents,
  recordEvseStatus,
  recordTransactionEvent,
  upsertDeviceVariables,
  type DeviceEvent,
  type DeviceVariable,
  type EvseConnectorStatus,
  type StoredDeviceEvent,
  type StoredDeviceVariable,
  type StoredTransactionEvent,
  type TransactionEventOutcome,
  type TransactionEventRecord,
} from './ocpp201-records.js';
import { ProfileMigrationStore } from './profile-migration-store.js';
import { SecurityStore } from './security-store.js';
import { isSecurityProfile, type SecurityProfile } from '../security/security-profile.js';
import type {
  ChargePointTable,
  ConnectorTable,
  Database,
  IdTagTable,
  MessageLogTable,
  MeterValueTable,
  TransactionTable,
} from './schema.js';

// The store speaks in domain objects (camelCase, numbers as numbers); the snake_case rows of schema.ts stay in this
// file. The REST API shapes these objects for its answers.

export interface ChargePoint {
  id: string;
  /** scrypt hash of the HTTP Basic password (see backend/security/passwords.ts); null: no password set. */
  passwordHash: string | null;
  /** OCPP security profile 0-3 required at the upgrade (backend/security/security-profile.ts). */
  securityProfile: SecurityProfile;
  /** A rotated password the charger accepted (ChangeConfiguration) and has not logged in with yet; both work. */
  pendingPasswordHash: string | null;
  vendor: string | null;
  model: string | null;
  serialNumber: string | null;
  firmwareVersion: string | null;
  iccid: string | null;
  imsi: string | null;
  meterType: string | null;
  meterSerialNumber: string | null;
  firmwareStatus: string | null;
  diagnosticsStatus: string | null;
  registeredAt: string;
  lastBootAt: string | null;
  lastHeartbeatAt: string | null;
  /** Override of --ocpp-validation ('tolerant' | 'strict'); null: the default. */
  ocppValidation: string | null;
  /** Schema violations tolerated so far (backend/ocpp/tolerance/). */
  schemaViolations: number;
  lastSchemaViolationAt: string | null;
  /** The OCPP version of its last connection ('1.6', '2.0.1'). */
  ocppVersion: string | null;
  /** Versions it may be served with, preferred first; null: the server's --ocpp-versions. */
  ocppVersions: string[] | null;
  /** OCPP 2.0.1 BootNotification reason of its last boot. */
  bootReason: string | null;
}

/** A connector's current status as stored (the last StatusNotification). */
export interface Connector {
  connectorId: number;
  status: string;
  errorCode: string;
  info: string | null;
  vendorErrorCode: string | null;
  /** UTC ISO time the charger reported, or when we received it. */
  statusAt: string;
}

/** One StatusNotification as kept in the history. */
export interface StatusHistoryEntry extends Connector {
  /** OCPP 2.0.1: the connector within the EVSE (connectorId is then the EVSE id); null for 1.6. */
  evseConnectorId: number | null;
  receivedAt: string;
}

/** An entry of the local id-tag list. */
export interface IdTag {
  idTag: string;
  status: string;
  /** UTC ISO time, so expiry compares as text. */
  expiryDate: string | null;
  parentIdTag: string | null;
}

/** A page of charge points: ids after `after`, at most `limit`, narrowed by the rest. */
export interface ChargePointFilter {
  after?: string;
  limit?: number;
  /** Only these ids (e.g. the connected ones); an empty list matches nothing. */
  onlyIds?: readonly string[];
  /** None of these ids. */
  exceptIds?: readonly string[];
  /** Substring of id, vendor, model or serial number, any case. */
  search?: string;
  /** Heartbeat at or after this ISO time. */
  seenSince?: string;
}

export interface BootInfo {
  vendor: string;
  model: string;
  serialNumber?: string;
  firmwareVersion?: string;
  iccid?: string;
  imsi?: string;
  meterType?: string;
  meterSerialNumber?: string;
  /** OCPP 2.0.1 BootReasonEnumType. */
  reason?: string;
}

export interface ConnectorStatus {
  connectorId: number;
  status: string;
  errorCode: string;
  info?: string;
  vendorErrorCode?: string;
  /** UTC ISO time the charger reported, or when we received it. */
  at: string;
}

export interface SampledValue {
  sampledAt: string;
  value: string;
  measurand?: string;
  unit?: string;
  context?: string;
  location?: string;
  phase?: string;
  format?: string;
  /** Why the value is suspect (outside its transaction's time, from a repaired payload...); none: nothing. */
  flags?: string[];
}

export interface Transaction {
  /** Ours, from the database; also the OCPP 1.6 transactionId. */
  id: number;
  ocppVersion: string;
  /** OCPP 2.0.1: the transactionId the charger chose; null for 1.6. */
  chargerTransactionId: string | null;
  chargePointId: string;
  /** OCPP 1.6 connector; for 2.0.1 the EVSE id (OCPP 2.0.1 Part 0: a 1.6 connector is a 2.0.1 EVSE). */
  connectorId: number;
  /** OCPP 2.0.1: the connector within the EVSE. */
  evseConnectorId: number | null;
  /** '' when a 2.0.1 transaction started without an id token (e.g. on cable plug-in) and none came since. */
  idTag: string;
  idTokenType: string | null;
  reservationId: number | null;
  remoteStartId: number | null;
  /** Wh; null for a 2.0.1 transaction whose energy register no meter value has given yet. */
  meterStart: number | null;
  meterStop: number | null;
  startTime: string;
  stopTime: string | null;
  stopReason: string | null;
  /** OCPP 2.0.1 chargingState (Charging, EVConnected, SuspendedEV, SuspendedEVSE, Idle). */
  chargingState: string | null;
  /** Wh delivered; null while the transaction is running (or a meter reading is missing). */
  energy: number | null;
  /** Why the record is suspect (closedByNewStart, meterStopBelowStart, timestampDefaulted...); [] when nothing is. */
  flags: string[];
}

export interface MeterValue extends SampledValue {
  connectorId: number;
}

export interface NewTransaction {
  chargePointId: string;
  connectorId: number;
  idTag: string;
  meterStart: number;
  startTime: string;
  reservationId?: number;
  /** Why this start is suspect as received (timestampDefaulted, schemaViolations). */
  flags?: string[];
  /** The id tag's status as the central system found it (idTagInfo.status), for the answer stored with the start. */
  authorization?: string;
}

export interface TransactionStop {
  transactionId: number;
  chargePointId: string;
  meterStop: number;
  stopTime: string;
  reason?: string;
  idTag?: string;
  transactionData: SampledValue[];
  /** Why this stop is suspect as received (timestampDefaulted, schemaViolations). */
  flags?: string[];
}

export interface ChargePointChanges {
  /** Setting a password (or removing it) drops a pending rotation. */
  passwordHash?: string | null;
  securityProfile?: SecurityProfile;
}

/** Which transactions to list; times are UTC ISO-8601 and compare with start_time as text. */
export interface TransactionFilter {
  chargePointId?: string;
  idTag?: string;
  /** true: running only; false: finished only. */
  active?: boolean;
  /** true: only those with flags (suspect data); false: only those without. */
  flagged?: boolean;
  /** Started at or after. */
  since?: string;
  /** Started before. */
  until?: string;
  /** Only ids below this one: the next page after a page that ended with it. */
  beforeId?: number;
  limit: number;
}

/** stopped: now; alreadyStopped: a repeated StopTransaction, nothing changed; unknown: no such transaction here
 * (kept in unmatched_stops). */
export type StopOutcome = 'stopped' | 'alreadyStopped' | 'unknown';

export interface StopResult {
  outcome: StopOutcome;
  /** What was suspect about this stop (see Store#stopTransaction). */
  flags: string[];
}

export interface StartedTransaction {
  /** The OCPP transactionId. */
  id: number;
  /** A retransmission of a start already stored: this is its transaction. */
  retransmission: boolean;
  /** Transactions still open on the connector, closed by this start (flagged closedByNewStart). */
  closed: number[];
  /** The id tag is in another running transaction (OCPP 1.6 ConcurrentTx). */
  concurrent: boolean;
  /**
   * The status of the answer to this start: for a new one, `authorization` (ConcurrentTx when it was Accepted and
   * the tag is in another running transaction), stored with it; for a retransmission, what the first answer said
   * (undefined for a start stored before answers were kept).
   */
  status: string | undefined;
}

export interface UnmatchedStop {
  chargePointId: string;
  /** The transactionId the charger named. */
  transactionId: number;
  meterStop: number;
  stopTime: string;
  stopReason: string | null;
  idTag: string | null;
  receivedAt: string;
}

/** One OCPP frame for the message log. */
export interface NewLogEntry {
  chargePointId: string;
  /** "in": from the charger; "out": to the charger. */
  direction: string;
  messageType: number | null;
  messageId: string | null;
  action: string | null;
  frame: string;
  loggedAt: string;
}

export interface LoggedMessage extends NewLogEntry {
  id: number;
}

export interface NewSchemaViolation {
  action: string;
  messageId?: string;
  path: string;
  keyword: string;
  rule: string;
  repair: string;
  raw?: string;
}

export interface StoredSchemaViolation {
  action: string;
  messageId: string | null;
  path: string;
  keyword: string;
  rule: string;
  repair: string;
  raw: string | null;
  receivedAt: string;
}

export interface OffSpecChargePoint {
  id: string;
  vendor: string | null;
  model: string | null;
  firmwareVersion: string | null;
  ocppValidation: string | null;
  violations: number;
  lastViolationAt: string | null;
  /** What its kept violations were: by action, keyword and JSON path, with how many of the kept rows each. */
  kinds: Array<{ action: string; keyword: string; path: string; count: number }>;
}

export class Store {
  /** The OCPP security extension's records (security-store.ts). */
  readonly security: SecurityStore;
  /** Raising charge points' security profiles (profile-migration-store.ts). */
  readonly profileMigrations: ProfileMigrationStore;

  private constructor(
    readonly db: Kysely<Database>,
    readonly dialect: Dialect,
    /** SQLite on a file: its syncs (metrics). */
    readonly groupCommit?: SqliteGroupCommit,
  ) {
    this.security = new SecurityStore(db);
    this.profileMigrations = new ProfileMigrationStore(db);
  }

  /** Opens the database and applies pending migrations. */
  static async open(options: DatabaseOptions): Promise<{ store: Store; applied: string[] }> {
    const { db, dialect, groupCommit } = openDatabase(options);
    try {
      const applied = await migrateToLatest(db as Kysely<unknown>, dialect);
      return { store: new Store(db, dialect, groupCommit), applied };
    } catch (error) {
      await db.destroy().catch(() => {});
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  /**
   * Resolves when every write committed before the call is on disk: before a charger or an API caller is told
   * that something was stored. PostgreSQL's COMMIT is durable already; SQLite's is made so in batches
   * (sqlite-group-commit.ts).
   */
  durable(): Promise<void> {
    return this.groupCommit ? this.groupCommit.durable() : Promise.resolve();
  }

  /** Throws when storage cannot answer a query on the schema (down, unreachable, schema missing). */
  async ping(): Promise<void> {
    await this.db.selectFrom('charge_points').select('id').limit(1).execute();
  }

  // ---- charge points ----

  async getChargePoint(id: string): Promise<ChargePoint | undefined> {
    const row = await this.db.selectFrom('charge_points').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toChargePoint(row);
  }

  /** Charge points in id order: all, or one page of those matching the filter (see ChargePointFilter). */
  async listChargePoints(filter: ChargePointFilter = {}): Promise<ChargePoint[]> {
    let query = this.db.selectFrom('charge_points').selectAll().orderBy('id');
    if (filter.after !== undefined) query = query.where('id', '>', filter.after);
    if (filter.onlyIds) {
      if (filter.onlyIds.length === 0) return [];
      query = query.where('id', 'in', [...filter.onlyIds]);
    }
    if (filter.exceptIds && filter.exceptIds.length > 0) query = query.where('id', 'not in', [...filter.exceptIds]);
    if (filter.search) {
      // Case-insensitive substring of the identity, vendor, model or serial number; LIKE's wildcards are escaped.
      const pattern = containsPattern(filter.search);
      query = query.where((eb) =>
        eb.or(
          (['id', 'vendor', 'model', 'serial_number'] as const).map(
            (column) => sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`,
          ),
        ),
      );
    }
    if (filter.seenSince) query = query.where('last_heartbeat_at', '>=', filter.seenSince);
    if (filter.limit !== undefined) query = query.limit(filter.limit);
    return (await query.execute()).map(toChargePoint);
  }

  /** How many charge points are registered, and how many have a connector Faulted or Charging now. */
  async fleetCounts(): Promise<{ registered: number; faulted: number; charging: number }> {
    const [registered, connectors] = await Promise.all([
      this.db
        .selectFrom('charge_points')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst(),
      this.db
        .selectFrom('connectors')
        .select(['status', (eb) => eb.fn.count<number>('charge_point_id').distinct().as('n')])
        .where('status', 'in', ['Faulted', 'Charging'])
        .groupBy('status')
        .execute(),
    ]);
    const of = (status: string) => Number(connectors.find((row) => row.status === status)?.n ?? 0);
    return { registered: Number(registered?.n ?? 0), faulted: of('Faulted'), charging: of('Charging') };
  }

  /** Registers a charge point if it is not known yet (open registration). */
  async ensureChargePoint(id: string, now: string): Promise<void> {
    await this.db
      .insertInto('charge_points')
      .values({ ...emptyChargePoint(id), registered_at: now })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  /**
   * Registers or updates a charge point from the REST API. passwordHash: a new hash, null to remove the password,
   * undefined to keep it; securityProfile: undefined to keep it. Returns true when the charge point was created.
   */
  async putChargePoint(id: string, changes: ChargePointChanges, now: string): Promise<boolean> {
    const set = {
      ...(changes.passwordHash !== undefined && { password_hash: changes.passwordHash, pending_password_hash: null }),
      ...(changes.securityProfile !== undefined && { security_profile: changes.securityProfile }),
    };
    return this.db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom('charge_points').select('id').where('id', '=', id).executeTakeFirst();
      if (!existing) {
        await trx
          .insertInto('charge_points')
          .values({ ...emptyChargePoint(id), registered_at: now, ...set })
          .execute();
        return true;
      }
      if (Object.keys(set).length > 0) await trx.updateTable('charge_points').set(set).where('id', '=', id).execute();
      return false;
    });
  }

  /** The charger accepted a new password: it is kept beside the current one until the charger logs in with it. */
  async setPendingPassword(id: string, pendingHash: string): Promise<void> {
    await this.db
      .updateTable('charge_points')
      .set({ pending_password_hash: pendingHash })
      .where('id', '=', id)
      .execute();
  }

  /** The charger logged in with the pending password: it becomes the only one (unless it changed meanwhile). */
  async promotePendingPassword(id: string, pendingHash: string): Promise<void> {
    await this.db
      .updateTable('charge_points')
      .set({ password_hash: pendingHash, pending_password_hash: null })
      .where('id', '=', id)
      .where('pending_password_hash', '=', pendingHash)
      .execute();
  }

  async deleteChargePoint(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('charge_points').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async recordBoot(id: string, boot: BootInfo, now: string): Promise<void> {
    await this.db
      .updateTable('charge_points')
      .set({
        vendor: boot.vendor,
        model: boot.model,
        serial_number: boot.serialNumber ?? null,
        firmware_version: boot.firmwareVersion ?? null,
        iccid: boot.iccid ?? null,
        imsi: boot.imsi ?? null,
        meter_type: boot.meterType ?? null,
        meter_serial_number: boot.meterSerialNumber ?? null,
        boot_reason: boot.reason ?? null,
        last_boot_at: now,
        last_heartbeat_at: now,
      })
      .where('id', '=', id)
      .execute();
  }

  /** The OCPP version the charge point connected with (written only when it changed: see central-system.ts). */
  async recordOcppVersion(id: string, version: string): Promise<void> {
    await this.db.updateTable('charge_points').set({ ocpp_version: version }).where('id', '=', id).execute();
  }

  /** The versions a charge point may be served with, preferred first; null: the server's --ocpp-versions. */
  async setOcppVersions(id: string, versions: readonly string[] | null): Promise<void> {
    await this.db
      .updateTable('charge_points')
      .set({ ocpp_versions: versions === null ? null : versions.join(',') })
      .where('id', '=', id)
      .execute();
  }

  async recordHeartbeat(id: string, now: string): Promise<void> {
    await this.db.updateTable('charge_points').set({ last_heartbeat_at: now }).where('id', '=', id).execute();
  }

  async recordFirmwareStatus(id: string, status: string): Promise<void> {
    await this.db.updateTable('charge_points').set({ firmware_status: status }).where('id', '=', id).execute();
  }

  async recordDiagnosticsStatus(id: string, status: string): Promise<void> {
    await this.db.updateTable('charge_points').set({ diagnostics_status: status }).where('id', '=', id).execute();
  }

  /** Current status per connector plus one history row, together. */
  async recordStatus(id: string, status: ConnectorStatus, now: string): Promise<void> {
    const row = {
      charge_point_id: id,
      connector_id: status.connectorId,
      status: status.status,
      error_code: status.errorCode,
      info: status.info ?? null,
      vendor_error_code: status.vendorErrorCode ?? null,
      status_at: status.at,
    };
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('connectors')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['charge_point_id', 'connector_id']).doUpdateSet({
            status: row.status,
            error_code: row.error_code,
            info: row.info,
            vendor_error_code: row.vendor_error_code,
            status_at: row.status_at,
          }),
        )
        .execute();
      await trx
        .insertInto('status_history')
        .values({ ...row, received_at: now })
        .execute();
    });
  }

  async listStatusHistory(id: string, limit: number): Promise<StatusHistoryEntry[]> {
    const rows = await this.db
      .selectFrom('status_history')
      .selectAll()
      .where('charge_point_id', '=', id)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      ...toConnector(row),
      evseConnectorId: row.evse_connector_id,
      receivedAt: row.received_at,
    }));
  }

  async listConnectors(id: string): Promise<Connector[]> {
    const rows = await this.db
      .selectFrom('connectors')
      .selectAll()
      .where('charge_point_id', '=', id)
      .orderBy('connector_id')
      .execute();
    return rows.map(toConnector);
  }

  // ---- OCPP 2.0.1: EVSEs, device model, events ----

  /** A 2.0.1 StatusNotification: the connector's status and its EVSE's (see ocpp201-records.ts). */
  async recordEvseStatus(id: string, status: EvseConnectorStatus, now: string): Promise<void> {
    await recordEvseStatus(this.db, id, status, now);
  }

  async listEvseConnectors(id: string): Promise<EvseConnectorStatus[]> {
    return listEvseConnectors(this.db, id);
  }

  async upsertDeviceVariables(
    id: string,
    variables: readonly DeviceVariable[],
    source: string,
    now: string,
  ): Promise<void> {
    await upsertDeviceVariables(this.db, id, variables, source, now);
  }

  async listDeviceVariables(id: string, component?: string): Promise<StoredDeviceVariable[]> {
    return listDeviceVariables(this.db, id, component);
  }

  async addDeviceEvents(id: string, events: readonly DeviceEvent[], now: string): Promise<void> {
    await addDeviceEvents(this.db, id, events, now);
  }

  async listDeviceEvents(id: string, limit: number): Promise<StoredDeviceEvent[]> {
    return listDeviceEvents(this.db, id, limit);
  }

  // ---- id tags ----

  /**
   * The id tag, compared case-insensitively (OCPP 1.6 IdToken is a CiString): the exact spelling when stored,
   * else the one that differs only in case.
   */
  async getIdTag(idTag: string): Promise<IdTag | undefined> {
    const row =
      (await this.db.selectFrom('id_tags').selectAll().where('id_tag', '=', idTag).executeTakeFirst()) ??
      (await this.db
        .selectFrom('id_tags')
        .selectAll()
        .where(sql<string>`lower(id_tag)`, '=', idTag.toLowerCase())
        .orderBy('id_tag')
        .executeTakeFirst());
    return (
      row && { idTag: row.id_tag, status: row.status, expiryDate: row.expiry_date, parentIdTag: row.parent_id_tag }
    );
  }

  /** Returns true when the id tag was created. */
  async putIdTag(tag: IdTag): Promise<boolean> {
    const row: IdTagTable = {
      id_tag: tag.idTag,
      status: tag.status,
      expiry_date: tag.expiryDate,
      parent_id_tag: tag.parentIdTag,
    };
    return this.db.transaction().execute(async (trx) => {
      // Case-insensitive, as chargers compare them: "abc" updates a stored "ABC" (keeping its spelling).
      const existing = await trx
        .selectFrom('id_tags')
        .select('id_tag')
        .where(sql<string>`lower(id_tag)`, '=', row.id_tag.toLowerCase())
        .orderBy('id_tag')
        .executeTakeFirst();
      if (existing) {
        await trx
          .updateTable('id_tags')
          .set({ ...row, id_tag: existing.id_tag })
          .where('id_tag', '=', existing.id_tag)
          .execute();
        return false;
      }
      await trx.insertInto('id_tags').values(row).execute();
      return true;
    });
  }

  async deleteIdTag(idTag: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('id_tags')
      .where(sql<string>`lower(id_tag)`, '=', idTag.toLowerCase())
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  // ---- transactions and meter values ----

  /**
   * Starts a transaction, once: a retransmitted StartTransaction (same charger, connector, id tag in any case,
   * start time and meter start) gets the transaction the first one created, also from another instance or after a
   * restart, by the unique start key in the database. A transaction still open on the connector is closed first,
   * flagged closedByNewStart (its meter stop: the new meter start, when that is not below its own). `concurrent`:
   * the id tag is in a running transaction elsewhere (OCPP 1.6 ConcurrentTx).
   */
  async startTransaction(start: NewTransaction): Promise<StartedTransaction> {
    const startKey = transactionStartKey(start);
    const existing = () =>
      this.db
        .selectFrom('transactions')
        .select(['id', 'start_status'])
        .where('charge_point_id', '=', start.chargePointId)
        .where('start_key', '=', startKey)
        .executeTakeFirst();
    try {
      return await this.db.transaction().execute(async (trx) => {
        const again = await trx
          .selectFrom('transactions')
          .select(['id', 'start_status'])
          .where('charge_point_id', '=', start.chargePointId)
          .where('start_key', '=', startKey)
          .executeTakeFirst();
        if (again) {
          const id = Number(again.id);
          return {
            id,
            retransmission: true,
            closed: [],
            concurrent: await concurrentTransaction(trx, start, id),
            status: again.start_status ?? undefined,
          };
        }
        const open = await trx
          .selectFrom('transactions')
          .select(['id', 'meter_start', 'flags'])
          .where('charge_point_id', '=', start.chargePointId)
          .where('connector_id', '=', start.connectorId)
          .where('stop_time', 'is', null)
          .execute();
        for (const previous of open) {
          const meterStart = Number(previous.meter_start);
          await trx
            .updateTable('transactions')
            .set({
              stop_time: start.startTime,
              meter_stop: Math.max(start.meterStart, meterStart),
              stop_reason: 'Other',
              flags: withFlags(previous.flags, ['closedByNewStart']),
            })
            .where('id', '=', previous.id)
            .execute();
        }
        // Before the insert: no row is this one yet (ids start at 1).
        const concurrent = await concurrentTransaction(trx, start, 0);
        const status =
          concurrent && start.authorization === 'Accepted' ? 'ConcurrentTx' : (start.authorization ?? undefined);
        const row = await trx
          .insertInto('transactions')
          .values({
            charge_point_id: start.chargePointId,
            connector_id: start.connectorId,
            id_tag: start.idTag,
            reservation_id: start.reservationId ?? null,
            meter_start: start.meterStart,
            start_time: start.startTime,
            start_key: startKey,
            start_status: status ?? null,
            flags: withFlags(null, start.flags ?? []),
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        return {
          id: Number(row.id),
          retransmission: false,
          closed: open.map((previous) => Number(previous.id)),
          concurrent,
          status,
        };
      });
    } catch (error) {
      // Another instance (or a concurrent retransmission) inserted the same start between our check and insert.
      if (!isUniqueViolation(error)) throw error;
      const winner = await existing();
      if (!winner) throw error;
      const id = Number(winner.id);
      return {
        id,
        retransmission: true,
        closed: [],
        concurrent: await concurrentTransaction(this.db, start, id),
        status: winner.start_status ?? undefined,
      };
    }
  }

  /** Adds flags to a stored transaction, each once (an OCPP 2.0.1 event's: its transaction row is the store's). */
  async flagTransaction(transactionId: number, flags: readonly string[]): Promise<void> {
    if (flags.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('transactions')
        .select('flags')
        .where('id', '=', transactionId)
        .executeTakeFirst();
      if (!row) return;
      await trx
        .updateTable('transactions')
        .set({ flags: withFlags(row.flags, flags) })
        .where('id', '=', transactionId)
        .execute();
    });
  }

  /** True when the id tag (any case) is in a running transaction (OCPP 1.6 ConcurrentTx for Authorize). */
  async inRunningTransaction(idTag: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('transactions')
      .select('id')
      .where(sql<string>`lower(id_tag)`, '=', idTag.toLowerCase())
      .where('stop_time', 'is', null)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** StopTransactions for transactions this central system does not know, newest first. */
  async listUnmatchedStops(filter: { chargePointId?: string; limit: number }): Promise<UnmatchedStop[]> {
    let query = this.db.selectFrom('unmatched_stops').selectAll();
    if (filter.chargePointId !== undefined) query = query.where('charge_point_id', '=', filter.chargePointId);
    const rows = await query.orderBy('id', 'desc').limit(filter.limit).execute();
    return rows.map((row) => ({
      chargePointId: row.charge_point_id,
      transactionId: Number(row.transaction_id),
      meterStop: Number(row.meter_stop),
      stopTime: row.stop_time,
      stopReason: row.stop_reason,
      idTag: row.id_tag,
      receivedAt: row.received_at,
    }));
  }

  /**
   * Stores meter values in one transaction. A transactionId the charger names but we do not know (or that belongs
   * to another charge point) is not trusted: the values are kept, unlinked.
   */
  async addMeterValues(
    chargePointId: string,
    connectorId: number,
    transactionId: number | undefined,
    values: SampledValue[],
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      let linked: number | null = null;
      let window: { start_time: string; stop_time: string | null } | undefined;
      if (transactionId !== undefined) {
        window = await trx
          .selectFrom('transactions')
          .select(['start_time', 'stop_time'])
          .where('id', '=', transactionId)
          .where('charge_point_id', '=', chargePointId)
          .executeTakeFirst();
        linked = window ? transactionId : null;
      }
      const checked = window ? flagOutsideWindow(values, window.start_time, window.stop_time) : values;
      await insertMeterValues(trx, chargePointId, connectorId, linked, checked);
    });
  }

  /** An OCPP 2.0.1 TransactionEvent, idempotent by (transaction, seqNo): see ocpp201-records.ts. */
  async recordTransactionEvent(event: TransactionEventRecord): Promise<TransactionEventOutcome> {
    return recordTransactionEvent(this.db, event);
  }

  async listTransactionEvents(transactionId: number): Promise<StoredTransactionEvent[]> {
    return listTransactionEvents(this.db, transactionId);
  }

  /** Our row of a 2.0.1 transaction, by the id its charger chose. */
  async findChargerTransaction(chargePointId: string, chargerTransactionId: string): Promise<Transaction | undefined> {
    const row = await this.db
      .selectFrom('transactions')
      .selectAll()
      .where('charge_point_id', '=', chargePointId)
      .where('charger_transaction_id', '=', chargerTransactionId)
      .executeTakeFirst();
    return row && toTransaction(row);
  }

  /**
   * Stops the transaction. Suspect data is flagged, never refused (refusing loses the energy: SteVe had to undo such
   * a check, steve-community/steve#1992): meterStopBelowStart, stopBeforeStart, meter values outside the
   * transaction's time. A stop for a transaction we do not know is kept in unmatched_stops.
   */
  async stopTransaction(stop: TransactionStop): Promise<StopResult> {
    return this.db.transaction().execute(async (trx) => {
      const current = await trx
        .selectFrom('transactions')
        .select(['connector_id', 'stop_time', 'start_time', 'meter_start', 'flags'])
        .where('id', '=', stop.transactionId)
        .where('charge_point_id', '=', stop.chargePointId)
        .executeTakeFirst();
      if (!current) {
        await trx
          .insertInto('unmatched_stops')
          .values({
            charge_point_id: stop.chargePointId,
            transaction_id: stop.transactionId,
            meter_stop: stop.meterStop,
            stop_time: stop.stopTime,
            stop_reason: stop.reason ?? null,
            id_tag: stop.idTag ?? null,
            received_at: new Date().toISOString(),
          })
          .execute();
        return { outcome: 'unknown', flags: [] };
      }
      const flags = [...(stop.flags ?? [])];
      if (stop.meterStop < Number(current.meter_start)) flags.push('meterStopBelowStart');
      if (stop.stopTime < current.start_time) flags.push('stopBeforeStart');
      // The "stop_time is null" condition makes two concurrent stops of the same transaction safe: one updates.
      const updated = await trx
        .updateTable('transactions')
        .set({
          meter_stop: stop.meterStop,
          stop_time: stop.stopTime,
          stop_reason: stop.reason ?? null,
          stop_id_tag: stop.idTag ?? null,
          flags: withFlags(current.flags, flags),
        })
        .where('id', '=', stop.transactionId)
        .where('stop_time', 'is', null)
        .executeTakeFirst();
      if (updated.numUpdatedRows === 0n) return { outcome: 'alreadyStopped', flags: [] };
      const values = flagOutsideWindow(stop.transactionData, current.start_time, stop.stopTime);
      await insertMeterValues(trx, stop.chargePointId, current.connector_id, stop.transactionId, values);
      return { outcome: 'stopped', flags };
    });
  }

  async getTransaction(id: number): Promise<Transaction | undefined> {
    const row = await this.db.selectFrom('transactions').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toTransaction(row);
  }

  /** Newest first (by id); `beforeId` continues a previous page. */
  async listTransactions(filter: TransactionFilter): Promise<Transaction[]> {
    let query = this.db.selectFrom('transactions').selectAll();
    if (filter.flagged === true) query = query.where('flags', 'is not', null);
    if (filter.flagged === false) query = query.where('flags', 'is', null);
    if (filter.chargePointId !== undefined) query = query.where('charge_point_id', '=', filter.chargePointId);
    // IdToken is a CiString: any case matches, the spelling stored is the charger's.
    if (filter.idTag !== undefined) query = query.where(sql`lower(id_tag)`, '=', filter.idTag.toLowerCase());
    if (filter.active === true) query = query.where('stop_time', 'is', null);
    if (filter.active === false) query = query.where('stop_time', 'is not', null);
    if (filter.since !== undefined) query = query.where('start_time', '>=', filter.since);
    if (filter.until !== undefined) query = query.where('start_time', '<', filter.until);
    if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
    const rows = await query.orderBy('id', 'desc').limit(filter.limit).execute();
    return rows.map(toTransaction);
  }

  async listMeterValues(transactionId: number): Promise<MeterValue[]> {
    const rows = await this.db
      .selectFrom('meter_values')
      .selectAll()
      .where('transaction_id', '=', transactionId)
      .orderBy('id')
      .execute();
    return rows.map((row) => ({
      connectorId: row.connector_id,
      sampledAt: row.sampled_at,
      value: row.value,
      ...optional({
        measurand: row.measurand,
        unit: row.unit,
        context: row.context,
        location: row.location,
        phase: row.phase,
        format: row.format,
      }),
      ...(row.flags ? { flags: parseFlags(row.flags) } : {}),
    }));
  }

  // ---- schema violations (the tolerant validation policy's record) ----

  /** Sets a charger's --ocpp-validation override (null: back to the default). False when it is not known. */
  async setValidationMode(id: string, mode: string | null): Promise<boolean> {
    const result = await this.db
      .updateTable('charge_points')
      .set({ ocpp_validation: mode })
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Adds one request's tolerated violations to the charger's count and keeps its newest `keep` rows. */
  async recordSchemaViolations(
    chargePointId: string,
    violations: NewSchemaViolation[],
    receivedAt: string,
    keep: number,
  ): Promise<void> {
    if (violations.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('charge_points')
        .set((eb) => ({
          schema_violations: eb('schema_violations', '+', violations.length),
          last_schema_violation_at: receivedAt,
        }))
        .where('id', '=', chargePointId)
        .execute();
      await trx
        .insertInto('schema_violations')
        .values(
          violations.map((violation) => ({
            charge_point_id: chargePointId,
            action: violation.action,
            message_id: violation.messageId ?? null,
            path: violation.path,
            keyword: violation.keyword,
            rule: violation.rule,
            repair: violation.repair,
            raw: violation.raw ?? null,
            received_at: receivedAt,
          })),
        )
        .execute();
      const oldest = await trx
        .selectFrom('schema_violations')
        .select('id')
        .where('charge_point_id', '=', chargePointId)
        .orderBy('id', 'desc')
        .offset(keep)
        .limit(1)
        .executeTakeFirst();
      if (oldest)
        await trx
          .deleteFrom('schema_violations')
          .where('charge_point_id', '=', chargePointId)
          .where('id', '<=', oldest.id)
          .execute();
    });
  }

  async listSchemaViolations(chargePointId: string, limit: number): Promise<StoredSchemaViolation[]> {
    const rows = await this.db
      .selectFrom('schema_violations')
      .selectAll()
      .where('charge_point_id', '=', chargePointId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      action: row.action,
      messageId: row.message_id,
      path: row.path,
      keyword: row.keyword,
      rule: row.rule,
      repair: row.repair,
      raw: row.raw,
      receivedAt: row.received_at,
    }));
  }

  /** The chargers that sent anything off-spec: their counts, and what their kept violations were (action, keyword). */
  async listOffSpecChargePoints(): Promise<OffSpecChargePoint[]> {
    const chargePoints = await this.db
      .selectFrom('charge_points')
      .select([
        'id',
        'vendor',
        'model',
        'firmware_version',
        'schema_violations',
        'last_schema_violation_at',
        'ocpp_validation',
      ])
      .where('schema_violations', '>', 0)
      .orderBy('id')
      .execute();
    // Kept rows are bounded per charger; grouped here by the path with its array indices as '*'.
    const kept = await this.db
      .selectFrom('schema_violations')
      .select(['charge_point_id', 'action', 'keyword', 'path'])
      .orderBy('id')
      .execute();
    const byChargePoint = new Map<string, Map<string, OffSpecChargePoint['kinds'][number]>>();
    for (const row of kept) {
      const path = row.path.replace(/\/\d+(?=\/|$)/g, '/*');
      const key = `${row.action} ${row.keyword} ${path}`;
      const kinds = byChargePoint.get(row.charge_point_id) ?? new Map();
      const kind = kinds.get(key) ?? { action: row.action, keyword: row.keyword, path, count: 0 };
      kind.count++;
      kinds.set(key, kind);
      byChargePoint.set(row.charge_point_id, kinds);
    }
    return chargePoints.map((row) => ({
      id: row.id,
      vendor: row.vendor,
      model: row.model,
      firmwareVersion: row.firmware_version,
      ocppValidation: row.ocpp_validation,
      violations: Number(row.schema_violations),
      lastViolationAt: row.last_schema_violation_at,
      kinds: [...(byChargePoint.get(row.id)?.values() ?? [])],
    }));
  }

  // ---- message log ----

  /**
   * Appends frames and trims the log to its newest `keep` rows in one transaction, so readers never see a batch
   * before its trim. (Several instances appending at once may leave it over the bound by a batch until the next.)
   */
  async appendMessages(entries: NewLogEntry[], keep?: number): Promise<void> {
    if (entries.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('message_log').values(entries.map(toMessageLogRow)).execute();
      if (keep !== undefined) await pruneMessages(trx, keep);
    });
  }

  /** Keeps the newest `keep` rows. */
  async pruneMessages(keep: number): Promise<void> {
    await pruneMessages(this.db, keep);
  }

  async listMessages(chargePointId: string, limit: number): Promise<LoggedMessage[]> {
    const rows = await this.db
      .selectFrom('message_log')
      .selectAll()
      .where('charge_point_id', '=', chargePointId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      id: Number(row.id),
      chargePointId: row.charge_point_id,
      direction: row.direction,
      messageType: row.message_type,
      messageId: row.message_id,
      action: row.action,
      frame: row.frame,
      loggedAt: row.logged_at,
    }));
  }

  async countMessages(): Promise<number> {
    const row = await this.db
      .selectFrom('message_log')
      .select(sql<number>`count(*)`.as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }
}

async function pruneMessages(db: Kysely<Database>, keep: number): Promise<void> {
  const newest = await db
    .selectFrom('message_log')
    .select((eb) => eb.fn.max('id').as('id'))
    .executeTakeFirst();
  const maxId = Number(newest?.id ?? 0);
  if (maxId > keep)
    await db
      .deleteFrom('message_log')
      .where('id', '<=', maxId - keep)
      .execute();
}

export async function insertMeterValues(
  trx: Kysely<Database>,
  chargePointId: string,
  connectorId: number,
  transactionId: number | null,
  values: SampledValue[],
): Promise<void> {
  if (values.length === 0) return;
  const rows: Omit<MeterValueTable, 'id'>[] = values.map((value) => ({
    charge_point_id: chargePointId,
    connector_id: connectorId,
    transaction_id: transactionId,
    sampled_at: value.sampledAt,
    value: value.value,
    measurand: value.measurand ?? null,
    unit: value.unit ?? null,
    context: value.context ?? null,
    location: value.location ?? null,
    phase: value.phase ?? null,
    format: value.format ?? null,
    flags: value.flags && value.flags.length > 0 ? JSON.stringify(value.flags) : null,
  }));
  // Chunks keep each statement under SQLite's bound-parameter limit.
  for (let i = 0; i < rows.length; i += 500)
    await trx
      .insertInto('meter_values')
      .values(rows.slice(i, i + 500))
      .execute();
}

function toTransaction(row: Selectable<TransactionTable>): Transaction {
  const meterStart = row.meter_start === null ? null : Number(row.meter_start);
  const meterStop = row.meter_stop === null ? null : Number(row.meter_stop);
  return {
    id: Number(row.id),
    ocppVersion: row.ocpp_version,
    chargerTransactionId: row.charger_transaction_id,
    chargePointId: row.charge_point_id,
    connectorId: row.connector_id,
    evseConnectorId: row.evse_connector_id,
    idTag: row.id_tag,
    idTokenType: row.id_token_type,
    reservationId: row.reservation_id,
    remoteStartId: row.remote_start_id,
    meterStart,
    meterStop,
    startTime: row.start_time,
    stopTime: row.stop_time,
    stopReason: row.stop_reason,
    flags: parseFlags(row.flags),
    chargingState: row.charging_state,
    energy: meterStop === null || meterStart === null ? null : meterStop - meterStart,
  };
}

/** What makes two StartTransactions the same start (the id tag compared as OCPP compares it: without case). */
function transactionStartKey(start: NewTransaction): string {
  return JSON.stringify([start.connectorId, start.idTag.toLowerCase(), start.startTime, start.meterStart]);
}

/** Another running transaction of the id tag, on another connector or charger, than transaction `self`. */
async function concurrentTransaction(db: Kysely<Database>, start: NewTransaction, self: number): Promise<boolean> {
  const other = await db
    .selectFrom('transactions')
    .select('id')
    .where(sql<string>`lower(id_tag)`, '=', start.idTag.toLowerCase())
    .where('stop_time', 'is', null)
    .where('id', '!=', self)
    .where((eb) =>
      eb.or([eb('charge_point_id', '!=', start.chargePointId), eb('connector_id', '!=', start.connectorId)]),
    )
    .limit(1)
    .executeTakeFirst();
  return other !== undefined;
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

function parseFlags(text: string | null): string[] {
  if (!text) return [];
  try {
    const flags: unknown = JSON.parse(text);
    return Array.isArray(flags) ? flags.map(String) : [];
  } catch {
    return [];
  }
}

/** The stored flags with `added` (each once), as stored: null for none. */
function withFlags(stored: string | null, added: readonly string[]): string | null {
  const flags = [...new Set([...parseFlags(stored), ...added])];
  return flags.length > 0 ? JSON.stringify(flags) : null;
}

/** Flags the values sampled before the transaction started or after it stopped. */
function flagOutsideWindow(values: SampledValue[], startTime: string, stopTime: string | null): SampledValue[] {
  return values.map((value) =>
    value.sampledAt < startTime || (stopTime !== null && value.sampledAt > stopTime)
      ? { ...value, flags: [...(value.flags ?? []), 'outsideTransaction'] }
      : value,
  );
}

function toChargePoint(row: Selectable<ChargePointTable>): ChargePoint {
  return {
    id: row.id,
    passwordHash: row.password_hash,
    securityProfile: isSecurityProfile(row.security_profile) ? row.security_profile : 0,
    pendingPasswordHash: row.pending_password_hash ?? null,
    vendor: row.vendor,
    model: row.model,
    serialNumber: row.serial_number,
    firmwareVersion: row.firmware_version,
    iccid: row.iccid,
    imsi: row.imsi,
    meterType: row.meter_type,
    meterSerialNumber: row.meter_serial_number,
    firmwareStatus: row.firmware_status,
    diagnosticsStatus: row.diagnostics_status,
    registeredAt: row.registered_at,
    lastBootAt: row.last_boot_at,
    lastHeartbeatAt: row.last_heartbeat_at,
    ocppValidation: row.ocpp_validation,
    schemaViolations: Number(row.schema_violations),
    lastSchemaViolationAt: row.last_schema_violation_at,
    ocppVersion: row.ocpp_version,
    ocppVersions: row.ocpp_versions === null ? null : row.ocpp_versions.split(','),
    bootReason: row.boot_reason,
  };
}

function toConnector(row: Selectable<ConnectorTable>): Connector {
  return {
    connectorId: row.connector_id,
    status: row.status,
    errorCode: row.error_code,
    info: row.info,
    vendorErrorCode: row.vendor_error_code,
    statusAt: row.status_at,
  };
}

function toMessageLogRow(entry: NewLogEntry): Omit<MessageLogTable, 'id'> {
  return {
    charge_point_id: entry.chargePointId,
    direction: entry.direction,
    message_type: entry.messageType,
    message_id: entry.messageId,
    action: entry.action,
    frame: entry.frame,
    logged_at: entry.loggedAt,
  };
}

function emptyChargePoint(id: string): Omit<Insertable<ChargePointTable>, 'registered_at'> {
  return {
    id,
    password_hash: null,
    security_profile: 0,
    pending_password_hash: null,
    vendor: null,
    model: null,
    serial_number: null,
    firmware_version: null,
    iccid: null,
    imsi: null,
    meter_type: null,
    meter_serial_number: null,
    firmware_status: null,
    diagnostics_status: null,
    last_boot_at: null,
    last_heartbeat_at: null,
    ocpp_validation: null,
    last_schema_violation_at: null,
    ocpp_version: null,
    ocpp_versions: null,
    boot_reason: null,
  };
}

/** Drops null fields so API answers carry only what the charger sent. */
function optional<T extends Record<string, string | null>>(fields: T): { [K in keyof T]?: string } {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== null) result[key] = value;
  return result as { [K in keyof T]?: string };
}
