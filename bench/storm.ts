// The boot storm of issue 22, §2, on its own: N chargers (10,000 by default) connect at the same moment through
// the proxy's cluster workers to the full backend, once per database, and each storm's time is set against the
// CPU bound of this machine (measurements/boot-storm.ts, stormCpuBound): N handshakes at the Node floor's CPU per
// handshake (measured first, on node-floor, in the same run) over the cores, plus the backend's CPU.
//
//   node dist/bench/storm.js                         10,000 chargers, SQLite then PostgreSQL, ocpp-edge-x2
//   node dist/bench/storm.js --chargers 2000 --databases sqlite --target ocpp-edge
//   node dist/bench/storm.js --chargers 2000 --ocpp 1.6:50%,2.0.1:50%   a mixed fleet (issue 20)
//
// One proxy process holds about 9,000 tunnels under 20,000 descriptors (two per tunnel), so 10,000 need the two
// workers of ocpp-edge-x2; the backend holds one descriptor per charger. Prints one JSON line per storm on stderr
// and a Markdown table on stdout.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEchoBackend } from './backend-echo.js';
import {
  type BenchOption,
  type BenchValues,
  oneOf,
  positiveNumber,
  runBenchCommand,
  wholeNumber,
} from './bench-cli.js';
import type { BenchDatabaseKind } from './bench-database.js';
import { createBenchCertificates, type BenchCertificates } from './certificates.js';
import { stopProcess } from './child-process.js';
import { LoadFleet } from './load-fleet.js';
import { machineCpuBound, measureBootStorm, stormCpuBound, type BootStormResult } from './measurements/boot-storm.js';
import { measureIdleCapacity } from './measurements/idle-capacity.js';
import { ensureNginx } from './nginx.js';
import { DATABASES_OPTION, FLEET_WORKERS_OPTION, ocppMixOption } from './shared-options.js';
import { ensureJemalloc, startTarget, TARGET_NAMES, type TargetName } from './targets.js';

/** The storm's goal (issue 22, §2): all booted within this factor of the CPU bound. */
const BOUND_FACTOR_GOAL = 1.3;

function log(line: string): void {
  process.stderr.write(`[storm ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** CPU per handshake of the node-floor target, from `connections` opened at concurrency 100 (a. on the floor). */
async function floorCpuPerHandshake(
  fleet: LoadFleet,
  certificates: BenchCertificates,
  nodeBinary: string | undefined,
  connections: number,
): Promise<number> {
  const backend = await startEchoBackend({ certFile: certificates.certFile, keyFile: certificates.keyFile });
  try {
    const target = await startTarget('node-floor', {
      backendPort: backend.port,
      backendPid: backend.process.pid,
      directOcppUrl: '',
      directApiUrl: undefined,
      certificates,
      nginxBinary: 'nginx',
      nodeBinary,
    });
    try {
      const idle = await measureIdleCapacity(
        { target, fleet, caPem: certificates.caPem, log },
        { connections, concurrency: 100, holdMs: 200 },
      );
      if (idle.failures > 0) throw new Error(`node-floor: ${idle.failures} failures opening ${connections}`);
      return idle.cpuPerHandshakeMs;
    } finally {
      await target.stop();
    }
  } finally {
    await stopProcess(backend.process.child);
  }
}

export interface StormRecord extends BootStormResult {
  chargers: number;
  boundSeconds: number;
  /** allAcceptedSeconds / boundSeconds. */
  boundFactor: number;
  /** All CPU the storm used on this host over its cores (measurements/boot-storm.ts, machineCpuBound). */
  machineBoundSeconds: number;
}

/** The report's table: one row per storm. */
export function stormTable(records: StormRecord[], floorMs: number, cores: number): string {
  const lines = [
    `Floor CPU per handshake ${floorMs.toFixed(2)} ms, ${cores} cores; bound = N × floor ÷ cores + backend CPU; machine bound = all CPU used (proxy, backend, load generator, PostgreSQL) ÷ cores.`,
    '',
    '| database | OCPP | chargers | accepted | failures | all booted (s) | p99 (ms) | CPU bound (s) | booted / bound | machine bound (s) | booted / machine bound | proxy CPU (s) | backend CPU (s) | load generator CPU (s) | PostgreSQL CPU (s) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of records) {
    const verdict = r.failures === 0 && r.boundFactor <= BOUND_FACTOR_GOAL ? 'met' : 'MISSED';
    lines.push(
      `| ${r.database} | ${r.ocpp} | ${r.chargers.toLocaleString('en-US')} | ${r.accepted.toLocaleString('en-US')} | ${r.failures} | ${r.allAcceptedSeconds.toFixed(1)} | ${Math.round(r.p99Ms).toLocaleString('en-US')} | ${r.boundSeconds.toFixed(1)} | ${r.boundFactor.toFixed(2)}× (≤ ${BOUND_FACTOR_GOAL}×: ${verdict}) | ${r.machineBoundSeconds.toFixed(1)} | ${(r.allAcceptedSeconds / r.machineBoundSeconds).toFixed(2)}× | ${(r.targetCpuMs / 1000).toFixed(1)} | ${(r.backendCpuMs / 1000).toFixed(1)} | ${(r.fleetCpuMs / 1000).toFixed(1)} | ${(r.databaseServerCpuMs / 1000).toFixed(1)} |`,
    );
  }
  // What the failures were, so that a storm that lost chargers says why (the table only counts them).
  const failed = records.filter((r) => r.failures > 0);
  if (failed.length > 0) lines.push('');
  for (const r of failed) {
    const kinds = Object.entries(r.failureKinds)
      .sort(([, a], [, b]) => b - a)
      .map(([kind, count]) => `${count} × ${kind}`)
      .join(', ');
    const errors = r.backendErrors.length > 0 ? `; backend: ${r.backendErrors.slice(0, 3).join(' | ')}` : '';
    lines.push(`- ${r.database} (${r.ocpp}): ${r.failures} failures: ${kinds || 'of no recorded kind'}${errors}`);
  }
  return lines.join('\n');
}

const STORM_OPTIONS = {
  chargers: { type: 'string', default: '10000', describe: 'Chargers booting at once', check: wholeNumber(1) },
  databases: DATABASES_OPTION,
  target: {
    type: 'string',
    default: 'ocpp-edge-x2',
    describe: 'The edge the chargers go through',
    check: oneOf(TARGET_NAMES),
  },
  node: { type: 'string', describe: 'Node binary for the Node processes (default: this Node)' },
  'floor-connections': {
    type: 'string',
    default: '1000',
    describe: "Handshakes that measure node-floor's CPU per handshake (the bound)",
    check: wholeNumber(1),
  },
  'timeout-seconds': {
    type: 'string',
    default: '180',
    describe: 'A charger not accepted by then is a failure',
    check: positiveNumber,
  },
  'fleet-workers': FLEET_WORKERS_OPTION,
  ocpp: ocppMixOption("The fleet's"),
} as const satisfies Record<string, BenchOption>;

async function main(values: BenchValues<typeof STORM_OPTIONS>): Promise<void> {
  const chargers = Number(values.chargers);
  const target = values.target as TargetName;
  const databases = values.databases.split(',') as BenchDatabaseKind[];
  const cores = os.availableParallelism();
  const nginxBinary = target === 'nginx' ? await ensureNginx(log) : 'nginx';
  await ensureJemalloc(log);
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-storm-'));
  const fleet = await LoadFleet.start(Number(values['fleet-workers']));
  try {
    const certificates = await createBenchCertificates(workDir);
    const floorMs = await floorCpuPerHandshake(fleet, certificates, values.node, Number(values['floor-connections']));
    log(`node-floor: ${floorMs.toFixed(3)} ms CPU per handshake`);
    const records: StormRecord[] = [];
    for (const database of databases) {
      log(`${target}: ${chargers} chargers at once, ${database}`);
      const result = await measureBootStorm(
        target,
        { fleet, certificates, nginxBinary, nodeBinary: values.node },
        { chargers, timeoutMs: Number(values['timeout-seconds']) * 1000, database, ocpp: values.ocpp },
      );
      const boundSeconds = stormCpuBound({
        chargers,
        floorCpuPerHandshakeMs: floorMs,
        backendCpuMs: result.backendCpuMs,
        cores,
      });
      const record = {
        ...result,
        chargers,
        boundSeconds,
        boundFactor: result.allAcceptedSeconds / boundSeconds,
        machineBoundSeconds: machineCpuBound(result, cores),
      };
      log(JSON.stringify(record));
      records.push(record);
    }
    process.stdout.write(`${stormTable(records, floorMs, cores)}\n`);
  } finally {
    await fleet.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  await runBenchCommand(
    'node dist/bench/storm.js',
    'The boot storm: every charger at once through the edge to the full backend, against the CPU bound.',
    STORM_OPTIONS,
    main,
    log,
  );
}
