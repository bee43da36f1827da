// The order in which the bench's repetitions visit the targets. (Percentiles: common/latency-histogram.ts;
// the median of repeated runs: common/median.ts.)

/**
 * The targets in the order repetition `rep` (1-based) measures them: rotated by one per repetition, so that no
 * target always runs first (on a machine still settling) or right after another one's load.
 */
export function repetitionOrder<T>(targets: readonly T[], rep: number): T[] {
  if (targets.length === 0) return [];
  const shift = (rep - 1) % targets.length;
  return [...targets.slice(shift), ...targets.slice(0, shift)];
}
