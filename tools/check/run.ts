// Runs every check in the order of the plan's Phase 4 and collects the report. One check at a time, so each
// timing is measured on an otherwise quiet connection.

import { performance } from 'node:perf_hooks';
import { checkCertificate } from './certificate.js';
import { checkHealth } from './health.js';
import type { CheckConfig } from './options.js';
import { checkRedirect } from './redirect.js';
import { buildReport, type CheckReport } from './report.js';
import type { CheckResult } from './result.js';
import { checkSecurityHeaders } from './security-headers.js';
import { checkTarget, type CheckTarget } from './target.js';
import { checkTlsVersions } from './tls-versions.js';
import { checkWebSocket } from './websocket.js';

const CHECKS: ReadonlyArray<(target: CheckTarget) => Promise<CheckResult[]>> = [
  checkCertificate,
  checkTlsVersions,
  checkRedirect,
  checkSecurityHeaders,
  checkHealth,
  checkWebSocket,
];

/** Throws ConfigError for a missing URL or an unreadable --ca; every other problem is a failed row. */
export async function runChecks(config: CheckConfig): Promise<CheckReport> {
  const target = checkTarget(config);
  const checkedAt = new Date();
  const started = performance.now();
  const results: CheckResult[] = [];
  for (const check of CHECKS) results.push(...(await check(target)));
  return buildReport(target.url.origin, config.address, checkedAt, performance.now() - started, results);
}
