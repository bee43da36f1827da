// What the chargers were told, held against what the database holds: every StartTransaction and StopTransaction a
// charger got an answer to is one entry, and each must be found afterwards with the charger's own figures (its
// meter start, its meter stop). An acknowledged entry not found so is lost, whatever the reason.

import type { TransactionAck } from '../../tools/simulate/stats.js';

/** One transaction row as the chaos runner reads it back from the database. */
export interface StoredTransaction {
  id: number;
  chargePointId: string;
  meterStart: number;
  /** null while it is open. */
  meterStop: number | null;
  /** Set when the transaction was stopped (stop_time). */
  stopped: boolean;
  /** OCPP 2.0.1: the charger's own transaction id; null for 1.6. */
  chargerTransactionId: string | null;
}

export interface Accounting {
  /** Distinct acknowledged starts and stops. */
  acknowledgedStarts: number;
  acknowledgedStops: number;
  /** Of those, found in the database as the charger sent them. */
  stored: number;
  lost: number;
  /** The first lost entries, to say which ("SIM00003 stop of 17: meter_stop 120 in the database, 150 sent"). */
  lostExamples: string[];
}

const LOST_EXAMPLES = 10;

export class TransactionLedger {
  private readonly starts = new Map<string, TransactionAck>();
  private readonly stops = new Map<string, TransactionAck>();

  /** Called for every acknowledgement; a retransmitted start answered with the same id is one entry. */
  record(ack: TransactionAck): void {
    (ack.phase === 'started' ? this.starts : this.stops).set(ledgerKey(ack.charger, ack.transactionId), ack);
  }

  /** Every acknowledged OCPP 1.6 transaction id (the central system's numbers, to read back). */
  transactionIds(): number[] {
    return [
      ...new Set(this.acks().flatMap((ack) => (typeof ack.transactionId === 'number' ? [ack.transactionId] : []))),
    ];
  }

  /** Every acknowledged OCPP 2.0.1 transaction id (the chargers' own strings). */
  chargerTransactionIds(): string[] {
    return [
      ...new Set(this.acks().flatMap((ack) => (typeof ack.transactionId === 'string' ? [ack.transactionId] : []))),
    ];
  }

  private acks(): TransactionAck[] {
    return [...this.starts.values(), ...this.stops.values()];
  }

  account(rows: readonly StoredTransaction[]): Accounting {
    const byId = new Map<string, StoredTransaction>();
    for (const row of rows) {
      byId.set(ledgerKey(row.chargePointId, row.id), row);
      if (row.chargerTransactionId !== null) byId.set(ledgerKey(row.chargePointId, row.chargerTransactionId), row);
    }
    const lostExamples: string[] = [];
    let lost = 0;
    const check = (ack: TransactionAck, problem: string | undefined) => {
      if (problem === undefined) return;
      lost++;
      if (lostExamples.length < LOST_EXAMPLES)
        lostExamples.push(
          `${ack.charger} ${ack.phase === 'started' ? 'start' : 'stop'} of ${ack.transactionId}: ${problem}`,
        );
    };
    // 1.6 numbers are the central system's: a row under another charger is found by its number alone.
    const find = (ack: TransactionAck) =>
      byId.get(ledgerKey(ack.charger, ack.transactionId)) ??
      (typeof ack.transactionId === 'number' ? rows.find((row) => row.id === ack.transactionId) : undefined);
    // 2.0.1 meter values travel in meterValue arrays the backend reads its own way: there the start must exist
    // and the stop be recorded; 1.6 rows must hold the charger's very meterStart and meterStop.
    const exact = (ack: TransactionAck) => typeof ack.transactionId === 'number';
    for (const ack of this.starts.values()) {
      const row = find(ack);
      check(
        ack,
        !row
          ? 'not in the database'
          : row.chargePointId !== ack.charger
            ? `stored for ${row.chargePointId}`
            : exact(ack) && row.meterStart !== ack.meterWh
              ? `meter_start ${row.meterStart} in the database, ${ack.meterWh} sent`
              : undefined,
      );
    }
    for (const ack of this.stops.values()) {
      const row = find(ack);
      check(
        ack,
        !row
          ? 'not in the database'
          : row.chargePointId !== ack.charger
            ? `stored for ${row.chargePointId}`
            : !row.stopped
              ? 'still open in the database'
              : exact(ack) && row.meterStop !== ack.meterWh
                ? `meter_stop ${row.meterStop} in the database, ${ack.meterWh} sent`
                : undefined,
      );
    }
    const acknowledged = this.starts.size + this.stops.size;
    return {
      acknowledgedStarts: this.starts.size,
      acknowledgedStops: this.stops.size,
      stored: acknowledged - lost,
      lost,
      lostExamples,
    };
  }
}

function ledgerKey(charger: string, transactionId: number | string): string {
  return typeof transactionId === 'number' ? `#${transactionId}` : `${charger}/${transactionId}`;
}
