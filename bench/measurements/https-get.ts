// d. HTTPS GET through /api/: wrk (Debian's package, installed when missing) with keep-alive connections for a
// fixed time; requests per second and the p99 latency wrk reports, and the target's CPU per 1,000 requests, which
// tells a target that spends more per request from one that waits longer between them.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { aptInstall } from '../debian-packages.js';
import { targetStats, type MeasureContext } from './context.js';

const run = promisify(execFile);

export interface HttpsGetOptions {
  connections: number;
  durationSeconds: number;
  /** wrk threads (at most `connections`). */
  threads: number;
}

export interface WrkReport {
  requestsPerSecond: number;
  /** Requests wrk completed in the whole run ("N requests in Ts"). */
  requests: number;
  p99Ms: number;
  /** Non-2xx answers, socket errors and timeouts. */
  failures: number;
}

export interface HttpsGetResult extends WrkReport {
  /** The target's CPU (its process tree) while wrk ran, per 1,000 requests. */
  cpuPer1kMs: number;
}

/** The wrk binary, installing Debian's package when there is none. */
export async function ensureWrk(log: (line: string) => void): Promise<string> {
  if (await works('wrk')) return 'wrk';
  await aptInstall('wrk', log);
  if (!(await works('wrk'))) throw new Error('apt-get install wrk did not provide a wrk binary');
  return 'wrk';
}

export async function measureHttpsGet(
  context: MeasureContext,
  wrk: string,
  options: HttpsGetOptions,
): Promise<HttpsGetResult> {
  const url = context.target.apiUrl;
  if (!url) throw new Error(`${context.target.name} has no /api/`);
  const threads = Math.min(options.threads, options.connections);
  const before = targetStats(context);
  const { stdout } = await run(
    wrk,
    [
      '-t',
      String(threads),
      '-c',
      String(options.connections),
      '-d',
      `${options.durationSeconds}s`,
      '--timeout',
      '10s',
      '--latency',
      url,
    ],
    { timeout: (options.durationSeconds + 30) * 1000 },
  );
  const after = targetStats(context);
  const report = parseWrkOutput(stdout);
  return { ...report, cpuPer1kMs: ((after.cpuMs - before.cpuMs) / Math.max(1, report.requests)) * 1000 };
}

/** Reads wrk's text report: "Requests/sec:", "N requests in", the 99% line of "Latency Distribution", errors and non-2xx. */
export function parseWrkOutput(output: string): WrkReport {
  const requestsPerSecond = Number(output.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? Number.NaN);
  const requests = Number(output.match(/^\s*(\d+) requests in /m)?.[1] ?? Number.NaN);
  const p99 = output.match(/^\s+99%\s+([\d.]+)(us|ms|s)\s*$/m);
  const p99Ms = p99 ? Number(p99[1]) * (p99[2] === 'us' ? 0.001 : p99[2] === 's' ? 1000 : 1) : Number.NaN;
  const socketErrors = output.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const nonOk = Number(output.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0);
  const errors = socketErrors ? socketErrors.slice(1).reduce((sum, value) => sum + Number(value), 0) : 0;
  return { requestsPerSecond, requests, p99Ms, failures: errors + nonOk };
}

async function works(binary: string): Promise<boolean> {
  try {
    await run(binary, ['--version'], { timeout: 5000 });
    return true;
  } catch (error) {
    // wrk --version prints its banner and exits 1.
    return (
      typeof (error as { stdout?: string }).stdout === 'string' && /wrk/.test((error as { stdout: string }).stdout)
    );
  }
}
