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
  private readonly starts = new Map<number, TransactionAck>();
  private readonly stops = new Map<number, TransactionAck>();

  /** Called for every acknowledgement; a retransmitted start answered with the same id is one entry. */
  record(ack: TransactionAck): void {
    (ack.phase === 'started' ? this.starts : this.stops).set(ack.transactionId, ack);
  }

  /** Every acknowledged transaction id (what to read back from the database). */
  transactionIds(): number[] {
    return [...new Set([...this.starts.keys(), ...this.stops.keys()])];
  }

  account(rows: readonly StoredTransaction[]): Accounting {
    const byId = new Map(rows.map((row) => [row.id, row]));
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
    for (const ack of this.starts.values()) {
      const row = byId.get(ack.transactionId);
      check(
        ack,
        !row
          ? 'not in the database'
          : row.chargePointId !== ack.charger
            ? `stored for ${row.chargePointId}`
            : row.meterStart !== ack.meterWh
              ? `meter_start ${row.meterStart} in the database, ${ack.meterWh} sent`
              : undefined,
      );
    }
    for (const ack of this.stops.values()) {
      const row = byId.get(ack.transactionId);
      check(
        ack,
        !row
          ? 'not in the database'
          : row.chargePointId !== ack.charger
            ? `stored for ${row.chargePointId}`
            : row.meterStop !== ack.meterWh
              ? `meter_stop ${row.meterStop ?? 'null (still open)'} in the database, ${ack.meterWh} sent`
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
