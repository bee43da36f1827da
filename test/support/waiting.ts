// Bounded waiting for tests: every wait has a deadline and says what it was waiting for when it gives up.

import { once, type EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** Give up after this long (default 5000 ms). */
  timeoutMs?: number;
  /** Pause between two checks (default 20 ms). */
  intervalMs?: number;
  /** Keep polling when check() throws (a server not up yet); the last error is named on timeout. Otherwise a throw ends the wait at once. */
  retryErrors?: boolean;
  /** Output of the processes involved: its last 20 lines are added to the timeout error. */
  log?: readonly string[];
}

type Truthy<T> = Exclude<T, false | 0 | 0n | '' | null | undefined>;

/** Polls check() until it returns a truthy value, and returns that value; fails after `timeoutMs` naming `what`. */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  options: WaitOptions = {},
): Promise<Truthy<T>> {
  const { timeoutMs = 5000, intervalMs = 20, retryErrors = false, log } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as Truthy<T>;
    } catch (error) {
      if (!retryErrors) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause =
        lastError === undefined
          ? ''
          : ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`;
      const tail = log && log.length > 0 ? `\n${log.slice(-20).join('\n')}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}${tail}`);
    }
    await sleep(intervalMs);
  }
}

/** The arguments of the next `event`, or an error after `timeoutMs`. */
export async function nextEvent<T extends unknown[] = unknown[]>(
  emitter: EventEmitter,
  event: string,
  timeoutMs = 5000,
): Promise<T> {
  return (await once(emitter, event, { signal: AbortSignal.timeout(timeoutMs) })) as T;
}
