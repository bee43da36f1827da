// What every check produces: one row of the report per thing verified, with its verdict, the figure a person
// reads (days left, milliseconds, status code) and, for timed steps, the plan's target.

/**
 * pass/fail: verified. inconclusive: could not be verified from this client (its OpenSSL cannot offer TLS 1.0, say),
 * which is not the server's fault and does not fail the run. skipped: not run because a step it needs failed, which
 * already failed the run.
 */
export type CheckStatus = 'pass' | 'fail' | 'inconclusive' | 'skipped';

export interface CheckResult {
  /** Which module produced it: certificate, tls, redirect, headers, health, websocket. */
  group: string;
  name: string;
  status: CheckStatus;
  /** Short, for the table: "89 days", "4.2 ms", "refused", "301". */
  figure: string;
  /** What was expected, when there is a threshold: "< 50 ms", "≥ 7 days". */
  target?: string;
  /** One line more: names, the Location, the error. */
  detail?: string;
  /** The figure as a number, for scripts (--json): milliseconds or days. */
  value?: number;
  unit?: 'ms' | 'days';
  limit?: number;
}

/** The migration plan's performance targets (Phase 4, step 4.6). */
export const PLAN_TARGETS_MS = {
  rest: 50,
  upgrade: 100,
  /** The plan's heartbeat round trip; BootNotification is held to it too, being the same kind of exchange. */
  ocppRoundTrip: 500,
} as const;

/** A timed step against an upper bound: passes when faster. */
export function timed(
  group: string,
  name: string,
  ms: number,
  limitMs: number,
  detail?: string,
  prefix = '',
): CheckResult {
  return {
    group,
    name,
    status: ms < limitMs ? 'pass' : 'fail',
    figure: `${prefix}${formatMs(ms)}`,
    target: `< ${limitMs} ms`,
    detail: ms < limitMs ? detail : [detail, `slower than the plan's ${limitMs} ms`].filter(Boolean).join('; '),
    value: round(ms),
    unit: 'ms',
    limit: limitMs,
  };
}

export function formatMs(ms: number): string {
  return `${ms >= 100 ? ms.toFixed(0) : ms.toFixed(1)} ms`;
}

export function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** An error as one line: Node's code when it has one, the message without OpenSSL's file and line. */
export function describeError(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  const text = String(message ?? error)
    .split('\n')[0]!
    .replace(/^[0-9A-F]+:error:[0-9A-F]+:SSL routines:[^:]*:/, '')
    .replace(/:\.\.\/deps\/openssl.*$/, '');
  return code && !text.includes(code) ? `${code}: ${text}` : text;
}
