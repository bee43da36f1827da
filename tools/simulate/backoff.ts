// Reconnect delays the way chargers in the field compute them (OCPP 2.0.1 names the idea RetryBackOff*):
// exponential growth so a central system that is down is not hammered, capped so a charger comes back within a
// bounded time, and randomised so that thousands of chargers dropped at the same instant (a proxy restart, a
// network blip) do not all come back in the same second.

export interface BackoffSettings {
  /** Delay before the first retry, in ms. */
  initialMs: number;
  /** Ceiling of the exponential part, in ms. */
  maxMs: number;
}

/**
 * Delay before retry number `attempt` (0 for the first): a random value between half and all of
 * min(max, initial × 2^attempt) — "equal jitter", which keeps a floor under the delay (unlike full jitter) while
 * still spreading a reconnect storm over half the window.
 */
export function backoffDelayMs(settings: BackoffSettings, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(settings.maxMs, settings.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
