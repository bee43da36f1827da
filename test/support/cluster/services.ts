// What the cluster suites need on this machine: redis-server (each file starts its own) and PostgreSQL at
// 127.0.0.1:5432 (database `test`). In CI (CI=true) a missing one fails the suite; elsewhere the suite is skipped
// with a message saying what is missing.

import { redisServerAvailable } from '../redis-server.js';
import { POSTGRES_HOST, reachablePostgresUser } from '../storage-targets.js';

/** The reason the cluster suites cannot run here, or undefined when they can. Throws in CI. */
export async function missingServices(): Promise<string | undefined> {
  const missing: string[] = [];
  if (!redisServerAvailable()) missing.push('redis-server is not installed');
  if ((await reachablePostgresUser()) === undefined)
    missing.push(`PostgreSQL is not reachable at ${POSTGRES_HOST} (database test)`);
  if (missing.length === 0) return undefined;
  const message = `cluster tests need Redis and PostgreSQL: ${missing.join('; ')}`;
  if (process.env.CI === 'true') throw new Error(`${message}; CI requires them`);
  // Given to describe({ skip }), which prints it on the suite's "# SKIP" line.
  return message;
}
