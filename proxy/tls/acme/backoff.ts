// Retry delays after a failed order: exponential from 1 minute to 6 hours, never shorter than the server's
// Retry-After, so a broken setup costs the CA a handful of requests a day instead of a tight loop
// (Let's Encrypt's failed-validation limits are per hour and per account).

export const BACKOFF_MIN_MS = 60_000;
export const BACKOFF_MAX_MS = 6 * 60 * 60_000;
/** A Retry-After beyond this is treated as a mistake rather than followed for weeks. */
const RETRY_AFTER_CAP_MS = 7 * 24 * 60 * 60_000;

/**
 * Delay before retry number `failures` (1 = after the first failure). Up to 10% random spread so processes that
 * failed together do not retry together.
 */
export function retryDelayMs(failures: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, failures - 1);
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(exponent, 30));
  const spread = base === BACKOFF_MAX_MS ? base * (1 - 0.1 * random()) : base * (1 + 0.1 * random());
  const honoured = retryAfterMs !== undefined && retryAfterMs > 0 ? Math.min(retryAfterMs, RETRY_AFTER_CAP_MS) : 0;
  return Math.round(Math.max(spread, honoured));
}

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3), in milliseconds from now. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}
