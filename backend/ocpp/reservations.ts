// Reservation profile: the lifecycle of a reservation, kept by the central system.
//   Requested → (ReserveNow answer) Accepted | Rejected | Occupied | Faulted | Unavailable
//   Accepted → Used (StartTransaction with its reservationId, or by its tag on its connector)
//            → Expired (expiryDate passed) | Cancelled (CancelReservation accepted)
//            → Faulted | Unavailable (the connector, or for connector 0 the charger, reported that status)
// A StartTransaction by another tag on a connector reserved for someone else is flagged (reservedConnector) and
// answered with that tag's own status: keeping the connector for the reservation's idTag or parentIdTag is the
// charger's duty (OCPP 1.6 §5.13 Reserve Now), and the answer states the identifier's validity (§4.8, §7.2; see
// StartTransaction in core.ts).
// Every change is emitted as reservation.updated.

import type { Logger } from '../../common/logger.js';
import type { EventBus } from '../events/bus.js';
import type { Reservation, ReservationStatus, ReservationStore } from '../store/reservation-store.js';
import type { ConnectionRegistry } from './connections.js';

export interface ReservationOptions {
  store: ReservationStore;
  connections: ConnectionRegistry;
  bus: EventBus;
  logger: Logger;
  callTimeoutMs: number;
  /** How often expiry is checked, ms. */
  sweepMs?: number;
}

const ENDING_STATUSES: Record<string, ReservationStatus> = { Faulted: 'Faulted', Unavailable: 'Unavailable' };

export class Reservations {
  private readonly sweep: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: ReservationOptions) {
    this.sweep = setInterval(() => void this.expire(), options.sweepMs ?? 1000).unref();
    this.unsubscribe = options.bus.on('connector.status', async (event) => {
      const ending = ENDING_STATUSES[event.data.status];
      if (!ending) return;
      const { chargePointId, connectorId } = event.data;
      // Connector 0 is the whole charger: every reservation on it ends.
      for (const reservation of await options.store.activeFor(
        chargePointId,
        connectorId === 0 ? undefined : connectorId,
      ))
        if (connectorId === 0 || reservation.connectorId === connectorId || reservation.connectorId === 0)
          await this.move(reservation.id, ['Accepted'], ending);
    });
  }

  close(): void {
    clearInterval(this.sweep);
    this.unsubscribe();
  }

  /** Stores the reservation, sends ReserveNow and records the charger's answer. Throws what the call threw
   * (the reservation is then Rejected). */
  async reserve(request: {
    chargePointId: string;
    connectorId: number;
    idTag: string;
    parentIdTag?: string | null;
    expiryDate: string;
  }): Promise<Reservation> {
    const { store, connections, callTimeoutMs } = this.options;
    const reservation = await store.create(
      { ...request, parentIdTag: request.parentIdTag ?? null },
      new Date().toISOString(),
    );
    let status: ReservationStatus;
    try {
      const answer = (await connections.call(
        request.chargePointId,
        'ReserveNow',
        {
          connectorId: request.connectorId,
          expiryDate: request.expiryDate,
          idTag: request.idTag,
          reservationId: reservation.id,
          ...(request.parentIdTag ? { parentIdTag: request.parentIdTag } : {}),
        },
        { timeoutMs: callTimeoutMs },
      )) as { status: ReservationStatus };
      status = answer.status;
    } catch (error) {
      await this.move(reservation.id, ['Requested'], 'Rejected');
      throw error;
    }
    return (await this.move(reservation.id, ['Requested'], status)) ?? reservation;
  }

  /** Sends CancelReservation; Cancelled when the charger accepts. Returns the charger's answer and the reservation. */
  async cancel(reservation: Reservation): Promise<{ status: string; reservation: Reservation }> {
    const answer = (await this.options.connections.call(
      reservation.chargePointId,
      'CancelReservation',
      { reservationId: reservation.id },
      { timeoutMs: this.options.callTimeoutMs },
    )) as { status: string };
    if (answer.status !== 'Accepted') return { status: answer.status, reservation };
    return {
      status: answer.status,
      reservation: (await this.move(reservation.id, ['Accepted', 'Requested'], 'Cancelled')) ?? reservation,
    };
  }

  /**
   * Called by StartTransaction before it answers: consumes the reservation the transaction is for and says whether
   * the connector was reserved for another tag ('reservedForOther': the charger broke the reservation).
   */
  async startTransaction(start: {
    chargePointId: string;
    connectorId: number;
    idTag: string;
    parentIdTag: string | null;
    reservationId?: number;
    transactionId: number;
  }): Promise<'ok' | 'reservedForOther'> {
    const active = await this.options.store.activeFor(start.chargePointId, start.connectorId);
    const holds = (reservation: Reservation) =>
      reservation.idTag === start.idTag ||
      (reservation.parentIdTag !== null && reservation.parentIdTag === start.parentIdTag);
    const mine =
      active.find((reservation) => reservation.id === start.reservationId) ??
      active.find((reservation) => holds(reservation));
    if (mine) {
      await this.move(mine.id, ['Accepted'], 'Used', start.transactionId);
      return 'ok';
    }
    // Reserved for someone else: only a reservation of this very connector blocks it (one of connector 0 leaves
    // the charger's other connectors free while one is).
    return active.some((reservation) => reservation.connectorId === start.connectorId) ? 'reservedForOther' : 'ok';
  }

  async expire(): Promise<void> {
    try {
      for (const reservation of await this.options.store.expiredBy(new Date().toISOString()))
        await this.move(reservation.id, ['Accepted', 'Requested'], 'Expired');
    } catch (error) {
      this.options.logger.warn({ err: error }, 'reservations: expiry check failed');
    }
  }

  private async move(
    id: number,
    from: readonly ReservationStatus[],
    to: ReservationStatus,
    transactionId?: number,
  ): Promise<Reservation | undefined> {
    const moved = await this.options.store.transition(id, from, to, new Date().toISOString(), transactionId);
    if (moved) {
      this.options.logger.info({ reservationId: id, chargePointId: moved.chargePointId, status: to }, 'reservation');
      this.options.bus.emit('reservation.updated', {
        reservationId: moved.id,
        chargePointId: moved.chargePointId,
        connectorId: moved.connectorId,
        idTag: moved.idTag,
        status: moved.status,
        expiryDate: moved.expiryDate,
      });
    }
    return moved;
  }
}
