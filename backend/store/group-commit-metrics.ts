// The group commit's syncs as metrics: how long the disk takes to make a batch durable, and whether it failed.

import { Counter, Histogram, type Registry } from 'prom-client';
import type { SqliteGroupCommit } from './sqlite-group-commit.js';

export function registerGroupCommitMetrics(registry: Registry, groupCommit: SqliteGroupCommit): void {
  const syncs = new Histogram({
    name: 'ocpp_edge_database_sync_seconds',
    help: "fdatasync of SQLite's WAL that made a batch of commits durable before they were acknowledged (group commit)",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'ocpp_edge_database_sync_failures_total',
    help: "fdatasync of SQLite's WAL that failed (the disk): the calls waiting on it were answered with an error",
    registers: [registry],
  });
  groupCommit.observer = { synced: (seconds) => syncs.observe(seconds), failed: () => failures.inc() };
}
