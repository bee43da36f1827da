// One line of `ocpp-edge doctor`: what was checked, how it came out, and the one-line fix when it is not ✓.

export type Verdict = 'ok' | 'warn' | 'fail';

export interface Finding {
  check: string;
  verdict: Verdict;
  /** What was found ("443 held by nginx (pid 812)"). */
  detail: string;
  /** One line that makes it ✓, when it is not. */
  fix?: string;
}

export const ok = (check: string, detail: string): Finding => ({ check, verdict: 'ok', detail });
export const warn = (check: string, detail: string, fix: string): Finding => ({ check, verdict: 'warn', detail, fix });
export const fail = (check: string, detail: string, fix: string): Finding => ({ check, verdict: 'fail', detail, fix });
