// The queries behind OCPP 2.0.1's own records, used by Store (store.ts): transactions driven by TransactionEvent
// (mapped onto the same transactions and meter_values rows as OCPP 1.6), the status of each connector inside an
// EVSE, the device model (the configuration inventory) and NotifyEvent. Every function that an answer to the
// charger depends on runs inside one database transaction.

import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { insertMeterValues, type SampledValue } from './store.js';

export interface TransactionEventRecord {
  chargePointId: string;
  /** The charger's transactionId. */
  chargerTransactionId: string;
  eventType: 'Started' | 'Updated' | 'Ended';
  seqNo: number;
  /** UTC ISO time of the event (the charger's). */
  timestamp: string;
  triggerReason: string;
  offline: boolean;
  evseId?: number;
  connectorId?: number;
  idToken?: { idToken: string; type: string };
  chargingState?: string;
  stoppedReason?: string;
  remoteStartId?: number;
  reservationId?: number;
  meterValues: SampledValue[];
  /** Energy.Active.Import.Register of this event's meter values in Wh: the earliest and the latest reading. */
  energyRegister: { first?: number; last?: number };
  receivedAt: string;
}

/**
 * transactionId: our row id (the one the REST API shows); created: this event opened the row (a lost Started is
 * opened by whichever event comes first); duplicate: this seqNo was stored before, nothing changed; stopped: this
 * event ended the transaction.
 */
export interface TransactionEventOutcome {
  transactionId: number;
  created: boolean;
  duplicate: boolean;
  stopped: boolean;
}

const ENERGY_REGISTER = 'Energy.Active.Import.Register';

export async function recordTransactionEvent(
  db: Kysely<Database>,
  event: TransactionEventRecord,
): Promise<TransactionEventOutcome> {
  return db.transaction().execute(async (trx) => {
    const existing = await findTransaction(trx, event.chargePointId, event.chargerTransactionId);
    let created = false;
    let row = existing;
    if (!row) {
      // Unique per charger: a concurrent insert of the same id (a second connection of the same charger on
      // another instance) loses quietly and reads the winner's row.
      await trx
        .insertInto('transactions')
        .values({
          charge_point_id: event.chargePointId,
          connector_id: event.evseId ?? 0,
          evse_connector_id: event.connectorId ?? null,
          id_tag: event.idToken?.idToken ?? '',
          id_token_type: event.idToken?.type ?? null,
          reservation_id: event.reservationId ?? null,
          remote_start_id: event.remoteStartId ?? null,
          meter_start: event.energyRegister.first ?? null,
          start_time: event.timestamp,
          ocpp_version: '2.0.1',
          charger_transaction_id: event.chargerTransactionId,
          charging_state: event.chargingState ?? null,
        })
        .onConflict((oc) => oc.columns(['charge_point_id', 'charger_transaction_id']).doNothing())
        .execute();
      row = await findTransaction(trx, event.chargePointId, event.chargerTransactionId);
      if (!row) throw new Error(`transaction ${event.chargerTransactionId} vanished while it was being stored`);
      created = true;
    }

    const inserted = await trx
      .insertInto('transaction_events')
      .values({
        transaction_id: row.id,
        seq_no: event.seqNo,
        event_type: event.eventType,
        trigger_reason: event.triggerReason,
        event_time: event.timestamp,
        offline: event.offline ? 1 : 0,
        charging_state: event.chargingState ?? null,
        id_token: event.idToken?.idToken ?? null,
        received_at: event.receivedAt,
      })
      .onConflict((oc) => oc.columns(['transaction_id', 'seq_no']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return { transactionId: row.id, created: false, duplicate: true, stopped: false };

    const newest = await trx
      .selectFrom('transaction_events')
      .select((eb) => eb.fn.max('seq_no').as('seq_no'))
      .where('transaction_id', '=', row.id)
      .executeTakeFirst();
    const isNewest = Number(newest?.seq_no ?? event.seqNo) <= event.seqNo;

    const changes: Record<string, unknown> = {};
    if (!created) {
      if (event.idToken && row.id_tag === '') {
        changes.id_tag = event.idToken.idToken;
        changes.id_token_type = event.idToken.type;
      }
      if (event.evseId !== undefined && row.connector_id === 0) changes.connector_id = event.evseId;
      if (event.connectorId !== undefined && row.evse_connector_id === null)
        changes.evse_connector_id = event.connectorId;
      // A Started that arrives after a later event (offline queue, lost and resent): it holds the real start.
      if (event.eventType === 'Started' && event.timestamp < row.start_time) changes.start_time = event.timestamp;
      if (event.energyRegister.first !== undefined && (row.meter_start === null || event.eventType === 'Started'))
        changes.meter_start = event.energyRegister.first;
      if (event.remoteStartId !== undefined && row.remote_start_id === null)
        changes.remote_start_id = event.remoteStartId;
      if (event.reservationId !== undefined && row.reservation_id === null)
        changes.reservation_id = event.reservationId;
      if (event.chargingState !== undefined && isNewest) changes.charging_state = event.chargingState;
    }
    const connectorId = (changes.connector_id as number | undefined) ?? row.connector_id;
    await insertMeterValues(trx, event.chargePointId, connectorId, row.id, event.meterValues);

    let stopped = false;
    if (event.eventType === 'Ended' && row.stop_time === null) {
      changes.meter_stop = event.energyRegister.last ?? (await lastEnergyRegister(trx, row.id));
      changes.stop_time = event.timestamp;
      // OCPP 2.0.1 TransactionEventRequest: stoppedReason "MAY only be omitted when Reason is Local".
      changes.stop_reason = event.stoppedReason ?? 'Local';
      changes.stop_id_tag = event.idToken?.idToken ?? null;
      if (event.chargingState === undefined) changes.charging_state = 'Idle';
      if (changes.meter_start === undefined && row.meter_start === null) {
        const first = await firstEnergyRegister(trx, row.id);
        if (first !== undefined) changes.meter_start = first;
      }
      stopped = true;
    }
    if (Object.keys(changes).length > 0)
      await trx.updateTable('transactions').set(changes).where('id', '=', row.id).execute();
    return { transactionId: row.id, created, duplicate: false, stopped };
  });
}

export interface StoredTransactionEvent {
  seqNo: number;
  eventType: string;
  triggerReason: string;
  timestamp: string;
  offline: boolean;
  chargingState?: string;
  idToken?: string;
  receivedAt: string;
}

/** A 2.0.1 transaction's events in seqNo order (offline events may have arrived later than they happened). */
export async function listTransactionEvents(
  db: Kysely<Database>,
  transactionId: number,
): Promise<StoredTransactionEvent[]> {
  const rows = await db
    .selectFrom('transaction_events')
    .selectAll()
    .where('transaction_id', '=', transactionId)
    .orderBy('seq_no')
    .execute();
  return rows.map((row) => ({
    seqNo: row.seq_no,
    eventType: row.event_type,
    triggerReason: row.trigger_reason,
    timestamp: row.event_time,
    offline: Boolean(row.offline),
    ...defined({ chargingState: row.charging_state, idToken: row.id_token }),
    receivedAt: row.received_at,
  }));
}

async function findTransaction(db: Kysely<Database>, chargePointId: string, chargerTransactionId: string) {
  const row = await db
    .selectFrom('transactions')
    .select([
      'id',
      'connector_id',
      'evse_connector_id',
      'id_tag',
      'meter_start',
      'start_time',
      'stop_time',
      'remote_start_id',
      'reservation_id',
    ])
    .where('charge_point_id', '=', chargePointId)
    .where('charger_transaction_id', '=', chargerTransactionId)
    .executeTakeFirst();
  return row && { ...row, id: Number(row.id), meter_start: row.meter_start === null ? null : Number(row.meter_start) };
}

/** The transaction's energy register readings as stored, in Wh, oldest first. */
async function energyRegisterReadings(db: Kysely<Database>, transactionId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('meter_values')
    .select(['value', 'unit', 'measurand', 'phase'])
    .where('transaction_id', '=', transactionId)
    .orderBy('sampled_at')
    .orderBy('id')
    .execute();
  const readings: number[] = [];
  for (const row of rows) {
    const wh = energyWh(row);
    if (wh !== undefined) readings.push(wh);
  }
  return readings;
}

async function lastEnergyRegister(db: Kysely<Database>, transactionId: number): Promise<number | null> {
  return (await energyRegisterReadings(db, transactionId)).at(-1) ?? null;
}

async function firstEnergyRegister(db: Kysely<Database>, transactionId: number): Promise<number | undefined> {
  return (await energyRegisterReadings(db, transactionId))[0];
}

/** A total (no phase) Energy.Active.Import.Register reading in whole Wh, or undefined for anything else. */
export function energyWh(sample: {
  value: string;
  unit?: string | null;
  measurand?: string | null;
  phase?: string | null;
}): number | undefined {
  if ((sample.measurand ?? ENERGY_REGISTER) !== ENERGY_REGISTER || sample.phase) return undefined;
  const value = Number(sample.value);
  if (!Number.isFinite(value)) return undefined;
  const unit = sample.unit ?? 'Wh';
  if (unit === 'Wh') return Math.round(value);
  if (unit === 'kWh') return Math.round(value * 1000);
  return undefined;
}

// ---- EVSE and connector status ----

export interface EvseConnectorStatus {
  evseId: number;
  connectorId: number;
  status: string;
  /** UTC ISO time the charger reported. */
  at: string;
}

/**
 * The EVSE is as available as its most available connector, except that one connector in use (or reserved) makes
 * the whole EVSE busy: OCPP 2.0.1 allows one transaction per EVSE, and the other connectors of an EVSE in use
 * report Unavailable.
 */
const EVSE_STATUS_PRECEDENCE = ['Occupied', 'Reserved', 'Available', 'Unavailable', 'Faulted'];

export function evseStatus(connectorStatuses: readonly string[]): string {
  let best: string | undefined;
  for (const status of connectorStatuses) {
    const rank = EVSE_STATUS_PRECEDENCE.indexOf(status);
    if (best === undefined) best = status;
    else {
      const bestRank = EVSE_STATUS_PRECEDENCE.indexOf(best);
      if (rank !== -1 && (bestRank === -1 || rank < bestRank)) best = status;
    }
  }
  return best ?? 'Unavailable';
}

/** The connector's status, its EVSE's status (in connectors, as a 1.6 connector) and one history row, together. */
export async function recordEvseStatus(
  db: Kysely<Database>,
  chargePointId: string,
  status: EvseConnectorStatus,
  now: string,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('evse_connectors')
      .values({
        charge_point_id: chargePointId,
        evse_id: status.evseId,
        connector_id: status.connectorId,
        status: status.status,
        status_at: status.at,
      })
      .onConflict((oc) =>
        oc
          .columns(['charge_point_id', 'evse_id', 'connector_id'])
          .doUpdateSet({ status: status.status, status_at: status.at }),
      )
      .execute();
    const siblings = await trx
      .selectFrom('evse_connectors')
      .select('status')
      .where('charge_point_id', '=', chargePointId)
      .where('evse_id', '=', status.evseId)
      .execute();
    const row = {
      charge_point_id: chargePointId,
      connector_id: status.evseId,
      status: evseStatus(siblings.map((sibling) => sibling.status)),
      // OCPP 2.0.1 reports faults through NotifyEvent, not in StatusNotification.
      error_code: 'NoError',
      info: null,
      vendor_error_code: null,
      status_at: status.at,
    };
    await trx
      .insertInto('connectors')
      .values(row)
      .onConflict((oc) =>
        oc
          .columns(['charge_point_id', 'connector_id'])
          .doUpdateSet({ status: row.status, error_code: row.error_code, status_at: row.status_at }),
      )
      .execute();
    await trx
      .insertInto('status_history')
      .values({ ...row, status: status.status, evse_connector_id: status.connectorId, received_at: now })
      .execute();
  });
}

export async function listEvseConnectors(db: Kysely<Database>, chargePointId: string): Promise<EvseConnectorStatus[]> {
  const rows = await db
    .selectFrom('evse_connectors')
    .selectAll()
    .where('charge_point_id', '=', chargePointId)
    .orderBy('evse_id')
    .orderBy('connector_id')
    .execute();
  return rows.map((row) => ({
    evseId: row.evse_id,
    connectorId: row.connector_id,
    status: row.status,
    at: row.status_at,
  }));
}

// ---- device model ----

export interface DeviceVariable {
  component: string;
  componentInstance?: string;
  evseId?: number;
  evseConnectorId?: number;
  variable: string;
  variableInstance?: string;
  /** Actual, Target, MinSet, MaxSet. */
  attributeType: string;
  value?: string;
  mutability?: string;
  persistent?: boolean;
  constant?: boolean;
  dataType?: string;
  unit?: string;
}

export interface StoredDeviceVariable extends DeviceVariable {
  source: string;
  updatedAt: string;
}

/** One name per variable attribute, e.g. "EVSE@1/AvailabilityState#Actual", "OCPPCommCtrlr/HeartbeatInterval#Actual". */
export function variableKey(variable: DeviceVariable): string {
  const component = variable.componentInstance
    ? `${variable.component}[${variable.componentInstance}]`
    : variable.component;
  const evse =
    variable.evseId === undefined
      ? ''
      : `@${variable.evseId}${variable.evseConnectorId === undefined ? '' : `.${variable.evseConnectorId}`}`;
  const name = variable.variableInstance ? `${variable.variable}[${variable.variableInstance}]` : variable.variable;
  return `${component}${evse}/${name}#${variable.attributeType}`;
}

/**
 * Stores or updates variable attributes. What a report does not say (a value left out because it is write-only,
 * characteristics missing from a GetVariables answer) keeps what was stored before.
 */
export async function upsertDeviceVariables(
  db: Kysely<Database>,
  chargePointId: string,
  variables: readonly DeviceVariable[],
  source: string,
  now: string,
): Promise<void> {
  if (variables.length === 0) return;
  await db.transaction().execute(async (trx) => {
    for (const variable of variables) {
      const row = {
        charge_point_id: chargePointId,
        variable_key: variableKey(variable),
        component: variable.component,
        component_instance: variable.componentInstance ?? null,
        evse_id: variable.evseId ?? null,
        evse_connector_id: variable.evseConnectorId ?? null,
        variable: variable.variable,
        variable_instance: variable.variableInstance ?? null,
        attribute_type: variable.attributeType,
        value: variable.value ?? null,
        mutability: variable.mutability ?? null,
        persistent: variable.persistent === undefined ? null : Number(variable.persistent),
        constant: variable.constant === undefined ? null : Number(variable.constant),
        data_type: variable.dataType ?? null,
        unit: variable.unit ?? null,
        source,
        updated_at: now,
      };
      const update: Record<string, unknown> = { source, updated_at: now };
      for (const column of [
        'value',
        'mutability',
        'persistent',
        'constant',
        'data_type',
        'unit',
      ] as const satisfies readonly (keyof typeof row)[]) {
        if (row[column] !== null) update[column] = row[column];
      }
      await trx
        .insertInto('device_variables')
        .values(row)
        .onConflict((oc) => oc.columns(['charge_point_id', 'variable_key']).doUpdateSet(update))
        .execute();
    }
  });
}

export async function listDeviceVariables(
  db: Kysely<Database>,
  chargePointId: string,
  component?: string,
): Promise<StoredDeviceVariable[]> {
  let query = db.selectFrom('device_variables').selectAll().where('charge_point_id', '=', chargePointId);
  if (component !== undefined) query = query.where('component', '=', component);
  const rows = await query.orderBy('variable_key').execute();
  return rows.map((row) => ({
    component: row.component,
    ...defined({
      componentInstance: row.component_instance,
      evseId: row.evse_id,
      evseConnectorId: row.evse_connector_id,
    }),
    variable: row.variable,
    ...defined({ variableInstance: row.variable_instance }),
    attributeType: row.attribute_type,
    ...defined({
      value: row.value,
      mutability: row.mutability,
      persistent: row.persistent === null ? null : Boolean(row.persistent),
      constant: row.constant === null ? null : Boolean(row.constant),
      dataType: row.data_type,
      unit: row.unit,
    }),
    source: row.source,
    updatedAt: row.updated_at,
  }));
}

// ---- NotifyEvent ----

export interface DeviceEvent {
  eventId: number;
  timestamp: string;
  trigger: string;
  notificationType: string;
  component: string;
  componentInstance?: string;
  evseId?: number;
  evseConnectorId?: number;
  variable: string;
  variableInstance?: string;
  actualValue: string;
  cleared: boolean;
  cause?: number;
  techCode?: string;
  techInfo?: string;
  transactionId?: string;
  variableMonitoringId?: number;
}

export interface StoredDeviceEvent extends DeviceEvent {
  receivedAt: string;
}

/** Stores the events and, as each one reports a variable's actual value, that value in the device model too. */
export async function addDeviceEvents(
  db: Kysely<Database>,
  chargePointId: string,
  events: readonly DeviceEvent[],
  now: string,
): Promise<void> {
  if (events.length === 0) return;
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < events.length; i += 200) {
      await trx
        .insertInto('device_events')
        .values(
          events.slice(i, i + 200).map((event) => ({
            charge_point_id: chargePointId,
            event_id: event.eventId,
            event_time: event.timestamp,
            trigger: event.trigger,
            notification_type: event.notificationType,
            component: event.component,
            component_instance: event.componentInstance ?? null,
            evse_id: event.evseId ?? null,
            evse_connector_id: event.evseConnectorId ?? null,
            variable: event.variable,
            variable_instance: event.variableInstance ?? null,
            actual_value: event.actualValue,
            cleared: event.cleared ? 1 : 0,
            cause: event.cause ?? null,
            tech_code: event.techCode ?? null,
            tech_info: event.techInfo ?? null,
            transaction_id: event.transactionId ?? null,
            variable_monitoring_id: event.variableMonitoringId ?? null,
            received_at: now,
          })),
        )
        .execute();
    }
  });
  await upsertDeviceVariables(
    db,
    chargePointId,
    events.map((event) => ({
      component: event.component,
      componentInstance: event.componentInstance,
      evseId: event.evseId,
      evseConnectorId: event.evseConnectorId,
      variable: event.variable,
      variableInstance: event.variableInstance,
      attributeType: 'Actual',
      value: event.actualValue,
    })),
    'NotifyEvent',
    now,
  );
}

export async function listDeviceEvents(
  db: Kysely<Database>,
  chargePointId: string,
  limit: number,
): Promise<StoredDeviceEvent[]> {
  const rows = await db
    .selectFrom('device_events')
    .selectAll()
    .where('charge_point_id', '=', chargePointId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    eventId: row.event_id,
    timestamp: row.event_time,
    trigger: row.trigger,
    notificationType: row.notification_type,
    component: row.component,
    variable: row.variable,
    actualValue: row.actual_value,
    cleared: Boolean(row.cleared),
    ...defined({
      componentInstance: row.component_instance,
      evseId: row.evse_id,
      evseConnectorId: row.evse_connector_id,
      variableInstance: row.variable_instance,
      cause: row.cause,
      techCode: row.tech_code,
      techInfo: row.tech_info,
      transactionId: row.transaction_id,
      variableMonitoringId: row.variable_monitoring_id,
    }),
    receivedAt: row.received_at,
  }));
}

/** Drops null fields, so answers carry only what the charger sent. */
function defined<T extends Record<string, unknown>>(fields: T): { [K in keyof T]?: Exclude<T[K], null> } {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== null && value !== undefined) result[key] = value;
  return result as { [K in keyof T]?: Exclude<T[K], null> };
}
