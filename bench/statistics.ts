// Small statistics for the bench: percentiles of raw samples (a run records at most a few hundred thousand), the
// median of repeated measurements, and the order in which repetitions visit the targets.

/** Nearest-rank percentile (0 for no samples). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return 0;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export function maximum(samples: readonly number[]): number {
  let max = 0;
  for (const sample of samples) if (sample > max) max = sample;
  return max;
}

/** Median of repeated runs (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * The targets in the order repetition `rep` (1-based) measures them: rotated by one per repetition, so that no
 * target always runs first (on a machine still settling) or right after another one's load.
 */
export function repetitionOrder<T>(targets: readonly T[], rep: number): T[] {
  if (targets.length === 0) return [];
  const shift = (rep - 1) % targets.length;
  return [...targets.slice(shift), ...targets.slice(0, shift)];
}
