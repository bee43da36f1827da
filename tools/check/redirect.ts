// The plan's step 4.2: plain HTTP on --http-port answers with a permanent redirect to the same path and query on
// https:// at the checked host and port. A probe path with a query shows whether both are kept.

import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { type CheckResult, describeError, formatMs, round } from './result.js';
import type { CheckTarget } from './target.js';

const GROUP = 'redirect';
const NAME = 'HTTP → HTTPS';
const PROBE_PATH = '/ocpp-edge-check/redirect?probe=1';
/** 301 as the plan expects; 308 is its method-preserving twin. Temporary redirects are not remembered by clients. */
const PERMANENT = new Set([301, 308]);

export async function checkRedirect(target: CheckTarget): Promise<CheckResult[]> {
  const httpPort = target.config.httpPort;
  const expected = new URL(PROBE_PATH, target.url.origin).href;
  const where = `http://${target.url.hostname}${httpPort === 80 ? '' : `:${httpPort}`}${PROBE_PATH}`;
  let answer: { status: number; location: string | undefined; ms: number };
  try {
    answer = await head(target, httpPort);
  } catch (error) {
    return [
      {
        group: GROUP,
        name: NAME,
        status: 'fail',
        figure: 'no answer',
        target: '301',
        detail: `${where}: ${describeError(error)}`,
      },
    ];
  }
  const base = { group: GROUP, name: NAME, target: '301', value: round(answer.ms), unit: 'ms' as const };
  if (!PERMANENT.has(answer.status)) {
    const kind = answer.status >= 300 && answer.status < 400 ? 'a temporary redirect' : 'no redirect';
    return [
      {
        ...base,
        status: 'fail',
        figure: String(answer.status),
        detail: `${where}: ${kind}${answer.location ? ` to ${answer.location}` : ''}, expected 301 to ${expected}`,
      },
    ];
  }
  const problem = locationProblem(answer.location, expected);
  return [
    problem
      ? { ...base, status: 'fail', figure: String(answer.status), detail: `${where}: ${problem}` }
      : {
          ...base,
          status: 'pass',
          figure: String(answer.status),
          detail: `→ ${answer.location} in ${formatMs(answer.ms)}`,
        },
  ];
}

/** Why the Location is not `expected` (scheme, host, port, path and query), or undefined when it is. */
function locationProblem(location: string | undefined, expected: string): string | undefined {
  if (!location) return 'no Location header';
  let url: URL;
  try {
    url = new URL(location, 'http://relative.invalid');
  } catch {
    return `unreadable Location ${JSON.stringify(location)}`;
  }
  return url.href === expected ? undefined : `Location ${location}, expected ${expected}`;
}

function head(
  target: CheckTarget,
  port: number,
): Promise<{ status: number; location: string | undefined; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const request = http.request(
      {
        host: target.connectHost,
        port,
        path: PROBE_PATH,
        method: 'GET',
        headers: {
          host: port === 80 ? target.url.hostname : `${target.url.hostname}:${port}`,
          'user-agent': 'ocpp-edge-check',
        },
        agent: false,
        timeout: target.timeoutMs,
      },
      (response) => {
        response.resume();
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            location: response.headers.location,
            ms: performance.now() - started,
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('timeout', () =>
      request.destroy(Object.assign(new Error(`no answer within ${target.timeoutMs} ms`), { code: 'ETIMEDOUT' })),
    );
    request.on('error', reject);
    request.end();
  });
}
