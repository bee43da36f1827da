// e. Boot storm: N chargers connect at the same moment and each sends a BootNotification, against the full stack
// (target → `ocpp-edge backend` on SQLite or PostgreSQL, a fresh database each run, so every charger is registered
// on the spot as in a first deployment). Time until the last one was accepted, the p99 of the per-charger time
// (start → Accepted), failures (connect errors, timeouts, anything but Accepted), and the CPU each party spent:
// the target's process tree, the backend's, the load generator's. stormCpuBound() turns those into the time the
// storm could take at best on this machine's cores (issue 22, §2). `ocpp` mixes OCPP versions in the fleet (issue
// 20): 1.6:50%,2.0.1:50% boots half the chargers with 2.0.1's BootNotification over ocpp2.0.1.

import type { BenchCertificates } from '../certificates.js';
import type { BenchDatabaseKind } from '../bench-database.js';
import { startFullBackend } from '../full-backend.js';
import { chargerIds, type LoadFleet } from '../load-fleet.js';
import { commandCpu, cpuGrowthMs, processTreeStats } from '../process-stats.js';
import { LatencyHistogram } from '../../common/latency-histogram.js';
import { startTarget, type TargetName } from '../targets.js';
import { totalFailures } from './context.js';

export interface BootStormOptions {
  chargers: number;
  /** Per charger, from the common start until Accepted. */
  timeoutMs: number;
  /** The backend's database (default sqlite). */
  database?: BenchDatabaseKind;
  /** The fleet's OCPP versions, `--ocpp` syntax (1.6:50%,2.0.1:50%); default 1.6. */
  ocpp?: string;
}

export interface BootStormResult {
  database: BenchDatabaseKind;
  /** The version mix of the fleet, as given. */
  ocpp: string;
  accepted: number;
  /** Accepted boots by OCPP version. */
  acceptedByVersion: Record<string, number>;
  failures: number;
  failureKinds: Record<string, number>;
  allAcceptedSeconds: number;
  p99Ms: number;
  /** CPU time spent during the storm (user + system), ms: the target's process tree, the backend's, the fleet's. */
  targetCpuMs: number;
  backendCpuMs: number;
  fleetCpuMs: number;
  /** PostgreSQL's server processes on this machine (0 on SQLite, which runs inside the backend). */
  databaseServerCpuMs: number;
  /** The backend's error lines during the storm, and why it exited if it did (empty when all went well). */
  backendErrors: string[];
}

export interface BootStormSetup {
  fleet: LoadFleet;
  certificates: BenchCertificates;
  nginxBinary: string;
  /** The Node binary of the whole stack (backend and proxy): --node, else this one. */
  nodeBinary?: string;
}

export async function measureBootStorm(
  name: TargetName,
  setup: BootStormSetup,
  options: BootStormOptions,
): Promise<BootStormResult> {
  const backend = await startFullBackend(options.database ?? 'sqlite', { nodeBinary: setup.nodeBinary });
  try {
    const target = await startTarget(name, {
      backendPort: backend.port,
      backendPid: backend.process.pid,
      directOcppUrl: `ws://127.0.0.1:${backend.port}/ocpp`,
      directApiUrl: undefined,
      certificates: setup.certificates,
      nginxBinary: setup.nginxBinary,
      nodeBinary: setup.nodeBinary,
    });
    try {
      const ids = chargerIds('BOOT', options.chargers);
      const cpu = () => ({
        target: processTreeStats(target.pid).cpuMs,
        backend: processTreeStats(backend.process.pid).cpuMs,
        fleet: setup.fleet.pids.reduce((sum, pid) => sum + processTreeStats(pid).cpuMs, 0),
        database: backend.database.kind === 'postgres' ? commandCpu('postgres') : new Map<number, number>(),
      });
      const before = cpu();
      const result = await setup.fleet.open({
        url: target.ocppUrl,
        ids,
        concurrency: ids.length,
        caPem: setup.certificates.caPem,
        boot: true,
        timeoutMs: options.timeoutMs,
        ocpp: options.ocpp,
      });
      const after = cpu();
      await setup.fleet.closeAll();
      return {
        database: backend.database.kind,
        ocpp: options.ocpp ?? '1.6',
        accepted: result.opened,
        acceptedByVersion: result.openedByVersion,
        failures: totalFailures(result.failures),
        failureKinds: result.failures,
        allAcceptedSeconds: result.lastReadyMs / 1000,
        p99Ms: LatencyHistogram.of(result.readyAtMs).percentileMs(99),
        targetCpuMs: after.target - before.target,
        backendCpuMs: after.backend - before.backend,
        fleetCpuMs: after.fleet - before.fleet,
        databaseServerCpuMs: cpuGrowthMs(before.database, after.database),
        backendErrors: [...backend.errors(), ...(backend.failure() ? [backend.failure()!] : [])],
      };
    } finally {
      await target.stop();
    }
  } finally {
    await backend.stop();
  }
}

export interface StormBoundInput {
  chargers: number;
  /** CPU per handshake of the node-floor target (a. on it): the least a Node process pays per TLS connection. */
  floorCpuPerHandshakeMs: number;
  /** The backend's CPU for the whole storm (BootNotifications, registrations, its WebSocket accepts), ms. */
  backendCpuMs: number;
  cores: number;
}

/**
 * The time a storm cannot beat on this machine, seconds (issue 22, §2): every handshake at the floor's CPU spread
 * over all cores, plus the backend's measured cost of the boots. The backend is one Node process, so its part is
 * not divided by the cores.
 */
/**
 * The machine's bound, seconds: all the CPU the storm used on this host (proxy, backend, load generator, database
 * server) over its cores. No schedule of that work finishes sooner; the bound above leaves out the load
 * generator and the database server, which share the cores here and not in the field.
 */
export function machineCpuBound(result: BootStormResult, cores: number): number {
  return (result.targetCpuMs + result.backendCpuMs + result.fleetCpuMs + result.databaseServerCpuMs) / cores / 1000;
}

export function stormCpuBound(input: StormBoundInput): number {
  return ((input.chargers * input.floorCpuPerHandshakeMs) / input.cores + input.backendCpuMs) / 1000;
}
