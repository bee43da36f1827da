// Storage of reservations: one row per ReserveNow, its id the reservationId the charger was given, with its state.

import type { Kysely } from 'kysely';
import type { Store } from './store.js';

interface ReservationTable {
  id: number;
  charge_point_id: string;
  connector_id: number;
  id_tag: string;
  parent_id_tag: string | null;
  expiry_date: string;
  status: string;
  transaction_id: number | null;
  created_at: string;
  updated_at: string;
}

export type ReservationStatus =
  | 'Requested'
  | 'Accepted'
  | 'Rejected'
  | 'Occupied'
  | 'Faulted'
  | 'Unavailable'
  | 'Used'
  | 'Expired'
  | 'Cancelled';

export interface Reservation {
  id: number;
  chargePointId: string;
  connectorId: number;
  idTag: string;
  parentIdTag: string | null;
  expiryDate: string;
  status: ReservationStatus;
  transactionId: number | null;
  createdAt: string;
  updatedAt: string;
}

export class ReservationStore {
  private readonly db: Kysely<{ reservations: ReservationTable }>;

  constructor(store: Store) {
    this.db = store.db as unknown as Kysely<{ reservations: ReservationTable }>;
  }

  async create(
    reservation: Pick<Reservation, 'chargePointId' | 'connectorId' | 'idTag' | 'parentIdTag' | 'expiryDate'>,
    now: string,
  ): Promise<Reservation> {
    const row = await this.db
      .insertInto('reservations')
      .values({
        charge_point_id: reservation.chargePointId,
        connector_id: reservation.connectorId,
        id_tag: reservation.idTag,
        parent_id_tag: reservation.parentIdTag,
        expiry_date: reservation.expiryDate,
        status: 'Requested',
        transaction_id: null,
        created_at: now,
        updated_at: now,
      } as never)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toReservation(row);
  }

  async get(id: number): Promise<Reservation | undefined> {
    const row = await this.db.selectFrom('reservations').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toReservation(row);
  }

  async list(filter: { chargePointId?: string; status?: ReservationStatus; limit: number }): Promise<Reservation[]> {
    let query = this.db.selectFrom('reservations').selectAll();
    if (filter.chargePointId) query = query.where('charge_point_id', '=', filter.chargePointId);
    if (filter.status) query = query.where('status', '=', filter.status);
    return (await query.orderBy('id', 'desc').limit(filter.limit).execute()).map(toReservation);
  }

  /** Accepted reservations of a charger that cover the connector (its own, or the whole charger's: connector 0). */
  async activeFor(chargePointId: string, connectorId?: number): Promise<Reservation[]> {
    let query = this.db
      .selectFrom('reservations')
      .selectAll()
      .where('charge_point_id', '=', chargePointId)
      .where('status', '=', 'Accepted');
    if (connectorId !== undefined) query = query.where('connector_id', 'in', [0, connectorId]);
    return (await query.orderBy('id').execute()).map(toReservation);
  }

  async expiredBy(now: string): Promise<Reservation[]> {
    const rows = await this.db
      .selectFrom('reservations')
      .selectAll()
      .where('status', 'in', ['Accepted', 'Requested'])
      .where('expiry_date', '<=', now)
      .execute();
    return rows.map(toReservation);
  }

  /** Moves a reservation to a state, only from one of `from` (so two instances do not end it twice). */
  async transition(
    id: number,
    from: readonly ReservationStatus[],
    to: ReservationStatus,
    now: string,
    transactionId?: number,
  ): Promise<Reservation | undefined> {
    const result = await this.db
      .updateTable('reservations')
      .set({ status: to, updated_at: now, ...(transactionId !== undefined ? { transaction_id: transactionId } : {}) })
      .where('id', '=', id)
      .where('status', 'in', [...from])
      .executeTakeFirst();
    return result.numUpdatedRows > 0n ? this.get(id) : undefined;
  }
}

function toReservation(row: ReservationTable): Reservation {
  return {
    id: Number(row.id),
    chargePointId: row.charge_point_id,
    connectorId: Number(row.connector_id),
    idTag: row.id_tag,
    parentIdTag: row.parent_id_tag,
    expiryDate: row.expiry_date,
    status: row.status as ReservationStatus,
    transactionId: row.transaction_id === null ? null : Number(row.transaction_id),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
