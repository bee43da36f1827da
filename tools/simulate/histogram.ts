// A latency histogram in the spirit of HdrHistogram: fixed memory whatever the number of samples (a 24-hour run
// records hundreds of millions), constant-time recording, and percentiles accurate to better than 1%.
//
// Values are recorded in microseconds. Below SUB_BUCKETS every integer has its own slot; above, each power of two
// is split into SUB_BUCKETS / 2 equal slots, so a slot is never wider than 1/128 of the values it holds.

const SUB_BUCKET_BITS = 8;
const SUB_BUCKETS = 1 << SUB_BUCKET_BITS; // 256
const HALF = SUB_BUCKETS / 2;
// Largest value kept apart: 2^40 µs is about 12.7 days; larger values land in the last slot.
const MAX_EXPONENT = 40;
const SLOTS = SUB_BUCKETS + (MAX_EXPONENT - SUB_BUCKET_BITS + 1) * HALF;

/** Summary of a histogram in milliseconds, as it appears in reports. */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export class Histogram {
  private readonly counts = new Float64Array(SLOTS);
  private total = 0;
  private sum = 0;
  private minimum = Infinity;
  private maximum = 0;

  /** Records one sample given in milliseconds (fractions are kept to the microsecond). */
  recordMs(ms: number): void {
    const micros = Math.max(0, Math.round(ms * 1000));
    this.counts[slotOf(micros)]++;
    this.total++;
    this.sum += micros;
    if (micros < this.minimum) this.minimum = micros;
    if (micros > this.maximum) this.maximum = micros;
  }

  get count(): number {
    return this.total;
  }

  /** Value in milliseconds at or below which `percentile`% of the samples lie (0 when empty). */
  percentileMs(percentile: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil((percentile / 100) * this.total));
    let seen = 0;
    for (let slot = 0; slot < SLOTS; slot++) {
      seen += this.counts[slot]!;
      // Report the top of the slot (as HdrHistogram does), never above the largest value actually seen.
      if (seen >= rank) return Math.min(highestInSlot(slot), this.maximum) / 1000;
    }
    return this.maximum / 1000;
  }

  /** Adds another histogram's samples to this one (several simulator processes, or several phases). */
  merge(other: Histogram): void {
    for (let slot = 0; slot < SLOTS; slot++) this.counts[slot]! += other.counts[slot]!;
    this.total += other.total;
    this.sum += other.sum;
    this.minimum = Math.min(this.minimum, other.minimum);
    this.maximum = Math.max(this.maximum, other.maximum);
  }

  summary(): LatencySummary {
    const round = (ms: number) => Math.round(ms * 1000) / 1000;
    return {
      count: this.total,
      min: this.total === 0 ? 0 : round(this.minimum / 1000),
      mean: this.total === 0 ? 0 : round(this.sum / this.total / 1000),
      p50: round(this.percentileMs(50)),
      p90: round(this.percentileMs(90)),
      p99: round(this.percentileMs(99)),
      p999: round(this.percentileMs(99.9)),
      max: round(this.maximum / 1000),
    };
  }
}

function slotOf(value: number): number {
  if (value < SUB_BUCKETS) return value;
  if (value >= 2 ** MAX_EXPONENT) return SLOTS - 1;
  // Exponent e such that value >> e falls in [HALF, SUB_BUCKETS).
  const exponent = Math.min(31 - Math.clz32(Math.floor(value / SUB_BUCKETS)) + 1, MAX_EXPONENT - SUB_BUCKET_BITS + 1);
  const scaled = Math.min(Math.floor(value / 2 ** exponent), SUB_BUCKETS - 1);
  return SUB_BUCKETS + (exponent - 1) * HALF + (scaled - HALF);
}

function highestInSlot(slot: number): number {
  if (slot < SUB_BUCKETS) return slot;
  const exponent = Math.floor((slot - SUB_BUCKETS) / HALF) + 1;
  const scaled = ((slot - SUB_BUCKETS) % HALF) + HALF;
  return (scaled + 1) * 2 ** exponent - 1;
}
