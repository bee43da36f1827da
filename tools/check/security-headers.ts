// The plan's `add_header ... always` lines: every HTTPS answer carries Strict-Transport-Security,
// X-Frame-Options and X-Content-Type-Options. Read from an answer of the health endpoint.

import type { IncomingHttpHeaders } from 'node:http';
import { type CheckResult, describeError } from './result.js';
import { timedGet, type CheckTarget } from './target.js';

const GROUP = 'headers';

interface HeaderRule {
  name: string;
  header: keyof IncomingHttpHeaders & string;
  expected: string;
  /** Undefined when the value is right, else what is wrong with it. */
  problem(value: string): string | undefined;
}

/** HSTS shorter than this is not remembered long enough to protect a returning client (and is not preloadable). */
const MIN_HSTS_SECONDS = 15_552_000; // 180 days

const RULES: readonly HeaderRule[] = [
  {
    name: 'Strict-Transport-Security',
    header: 'strict-transport-security',
    expected: `max-age ≥ ${MIN_HSTS_SECONDS}`,
    problem(value) {
      const maxAge = /(?:^|;)\s*max-age\s*=\s*"?(\d+)"?/i.exec(value);
      if (!maxAge) return 'no max-age';
      return Number(maxAge[1]) < MIN_HSTS_SECONDS
        ? `max-age ${maxAge[1]} is under ${MIN_HSTS_SECONDS} s (180 days)`
        : undefined;
    },
  },
  {
    name: 'X-Frame-Options',
    header: 'x-frame-options',
    expected: 'DENY or SAMEORIGIN',
    problem: (value) =>
      /^(deny|sameorigin)$/i.test(value.trim()) ? undefined : `${JSON.stringify(value)} is neither DENY nor SAMEORIGIN`,
  },
  {
    name: 'X-Content-Type-Options',
    header: 'x-content-type-options',
    expected: 'nosniff',
    problem: (value) =>
      value.trim().toLowerCase() === 'nosniff' ? undefined : `${JSON.stringify(value)} is not nosniff`,
  },
];

export async function checkSecurityHeaders(target: CheckTarget): Promise<CheckResult[]> {
  let headers: IncomingHttpHeaders;
  try {
    headers = (await timedGet(target, target.config.healthPath)).headers;
  } catch (error) {
    return RULES.map((rule) => ({
      group: GROUP,
      name: rule.name,
      status: 'fail',
      figure: 'no answer',
      target: rule.expected,
      detail: describeError(error),
    }));
  }
  return RULES.map((rule) => judge(rule, headers[rule.header]));
}

function judge(rule: HeaderRule, raw: string | string[] | undefined): CheckResult {
  const base = { group: GROUP, name: rule.name, target: rule.expected };
  if (raw === undefined)
    return { ...base, status: 'fail', figure: 'missing', detail: `no ${rule.name} header on the answer` };
  const value = Array.isArray(raw) ? raw.join(', ') : raw;
  const problem = rule.problem(value);
  return problem
    ? { ...base, status: 'fail', figure: 'wrong', detail: problem }
    : { ...base, status: 'pass', figure: 'present', detail: value };
}
