// Whether a sampled quantity grows without bound: a least-squares fit through the second half of the run (the
// first half holds the ramp-up and the caches filling) and its rise in time across that half, held against a
// threshold of the quantity's own size. A leak rises steadily; a sawtooth (the garbage collector) or noise fits a
// line that rises little. When the samples carry the number of connected chargers (`load`), the fit is
// value = a + b·load + slope·t: descriptors, handles and memory that follow the connections back after a restart
// are explained by them, and only what grows beside them counts.

export interface Point {
  /** Seconds since the start of the run. */
  t: number;
  value: number;
  /** What the value may follow besides time (connected chargers). */
  load?: number;
}

export interface Fit {
  /** Units per second. */
  slope: number;
  intercept: number;
}

/** Ordinary least squares y = slope·t + intercept; a flat line through the mean when t does not vary. */
export function leastSquares(points: readonly Point[]): Fit {
  const n = points.length;
  if (n === 0) return { slope: 0, intercept: 0 };
  const meanT = points.reduce((sum, point) => sum + point.t, 0) / n;
  const meanV = points.reduce((sum, point) => sum + point.value, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (const point of points) {
    covariance += (point.t - meanT) * (point.value - meanV);
    variance += (point.t - meanT) ** 2;
  }
  const slope = variance === 0 ? 0 : covariance / variance;
  return { slope, intercept: meanV - slope * meanT };
}

/** How much a quantity may rise across the second half: `relative` of its mean there, at least `floor`. */
export interface Threshold {
  relative: number;
  floor: number;
}

export interface Verdict {
  /** Units per second over the second half. */
  slope: number;
  /** The fitted line's rise from the second half's first sample to its last. */
  rise: number;
  /** The rise allowed. */
  allowed: number;
  mean: number;
  grows: boolean;
}

/**
 * The slope in time of value = a + b·load + slope·t (least squares); the plain line when no point has a load, or
 * when load and time cannot be told apart (load constant, or moving in step with time).
 */
export function slopeBesideLoad(points: readonly Point[]): number {
  if (points.length === 0 || points.some((point) => point.load === undefined)) return leastSquares(points).slope;
  const n = points.length;
  const mean = (pick: (point: Point) => number) => points.reduce((sum, point) => sum + pick(point), 0) / n;
  const [mt, mx, my] = [mean((p) => p.t), mean((p) => p.load!), mean((p) => p.value)];
  let sxx = 0;
  let stt = 0;
  let sxt = 0;
  let sxy = 0;
  let sty = 0;
  for (const point of points) {
    const [t, x, y] = [point.t - mt, point.load! - mx, point.value - my];
    sxx += x * x;
    stt += t * t;
    sxt += x * t;
    sxy += x * y;
    sty += t * y;
  }
  const determinant = sxx * stt - sxt * sxt;
  if (stt === 0) return 0;
  if (sxx === 0 || determinant <= 1e-9 * sxx * stt) return sty / stt;
  return (sxx * sty - sxt * sxy) / determinant;
}

/** The verdict on one series; fewer than 4 samples in the second half cannot say (never "grows"). */
export function growthVerdict(points: readonly Point[], threshold: Threshold): Verdict {
  const sorted = [...points].sort((a, b) => a.t - b.t);
  const half = sorted.slice(Math.floor(sorted.length / 2));
  const slope = slopeBesideLoad(half);
  const mean = half.length === 0 ? 0 : half.reduce((sum, point) => sum + point.value, 0) / half.length;
  const span = half.length === 0 ? 0 : half[half.length - 1]!.t - half[0]!.t;
  const rise = slope * span;
  const allowed = Math.max(threshold.relative * Math.abs(mean), threshold.floor);
  return { slope, rise, allowed, mean, grows: half.length >= 4 && rise > allowed };
}
