// Latency percentiles for the simulator and the bench, on HdrHistogram (hdr-histogram-js): fixed memory whatever
// the number of samples (a 24-hour simulation records hundreds of millions), constant-time recording, and
// percentiles to three significant digits.
//
// Values are recorded in microseconds. The exact minimum, maximum and sum are kept beside the histogram, so a
// summary's min, max and mean are exact and a percentile is never reported above the largest value seen.

import hdr from 'hdr-histogram-js';

// 2^40 µs is about 12.7 days; larger values are counted at that bound (the exact maximum is still reported).
const HIGHEST_MICROS = 2 ** 40;

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

export class LatencyHistogram {
  // 64-bit counts: a day of heartbeats can put more than 2^31 samples in one bucket.
  private readonly histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_MICROS,
    numberOfSignificantValueDigits: 3,
    bitBucketSize: 64,
  });
  private sum = 0;
  private minimum = Infinity;
  private maximum = 0;

  /** A histogram of samples already collected (in milliseconds). */
  static of(samplesMs: Iterable<number>): LatencyHistogram {
    const histogram = new LatencyHistogram();
    for (const ms of samplesMs) histogram.recordMs(ms);
    return histogram;
  }

  /** Records one sample given in milliseconds (fractions are kept to the microsecond). */
  recordMs(ms: number): void {
    const micros = Math.max(0, Math.round(ms * 1000));
    this.histogram.recordValue(Math.min(micros, HIGHEST_MICROS));
    this.sum += micros;
    if (micros < this.minimum) this.minimum = micros;
    if (micros > this.maximum) this.maximum = micros;
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** Value in milliseconds at or below which `percentile`% of the samples lie (0 when empty). */
  percentileMs(percentile: number): number {
    if (this.count === 0) return 0;
    return Math.min(this.histogram.getValueAtPercentile(percentile), this.maximum) / 1000;
  }

  /** The largest sample in milliseconds (0 when empty). */
  get maxMs(): number {
    return this.maximum / 1000;
  }

  /** Adds another histogram's samples to this one (several simulator processes, or several phases). */
  merge(other: LatencyHistogram): void {
    this.histogram.add(other.histogram);
    this.sum += other.sum;
    this.minimum = Math.min(this.minimum, other.minimum);
    this.maximum = Math.max(this.maximum, other.maximum);
  }

  summary(): LatencySummary {
    const round = (ms: number) => Math.round(ms * 1000) / 1000;
    const count = this.count;
    return {
      count,
      min: count === 0 ? 0 : round(this.minimum / 1000),
      mean: count === 0 ? 0 : round(this.sum / count / 1000),
      p50: round(this.percentileMs(50)),
      p90: round(this.percentileMs(90)),
      p99: round(this.percentileMs(99)),
      p999: round(this.percentileMs(99.9)),
      max: round(this.maximum / 1000),
    };
  }
}
