// The capacity run of issue 22, §3 (measurements/capacity.ts): the realistic fleet mix through the proxy's cluster
// workers to the real backend, ramped until the goals break, once per database. Prints a Markdown table per
// database and writes the plot of p99 latency against fleet size (capacity-plot.ts).
//
//   node dist/bench/capacity.js                                    SQLite and PostgreSQL, default steps, ×10
//   node dist/bench/capacity.js --databases sqlite --steps 200,400 --step-seconds 10 --compression 10 --no-plot
//
// --compression divides every interval of the mix (Heartbeat 300 s, MeterValues 60 s, StatusNotification 600 s):
// with ×10, N connected chargers carry the message rate of 10·N real ones.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type BenchOption,
  type BenchValues,
  oneOf,
  positiveNumber,
  runBenchCommand,
  wholeNumbers,
} from './bench-cli.js';
import type { BenchDatabaseKind } from './bench-database.js';
import { capacitySvg } from './capacity-plot.js';
import { createBenchCertificates } from './certificates.js';
import { LoadFleet } from './load-fleet.js';
import { DATABASES_OPTION, FLEET_WORKERS_OPTION } from './shared-options.js';
import {
  CAPACITY_GOALS,
  largestHolding,
  limitOf,
  measureCapacity,
  REAL_MIX,
  type CapacityResult,
} from './measurements/capacity.js';
import { ensureJemalloc, TARGET_NAMES, type TargetName } from './targets.js';

const PLOT_FILE = fileURLToPath(new URL('../../docs/capacity.svg', import.meta.url));

function log(line: string): void {
  process.stderr.write(`[capacity ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** The report: one table per database, the largest fleet that held and what broke the next step. */
export function capacityReport(results: CapacityResult[]): string {
  const lines: string[] = [];
  for (const result of results) {
    const largest = largestHolding(result.steps);
    const broke = result.steps.find((step) => !step.holds);
    lines.push(
      `**${result.database}** (intervals ÷ ${result.compression}: Heartbeat ${REAL_MIX.heartbeatS / result.compression} s, MeterValues ${REAL_MIX.meterValuesS / result.compression} s): ` +
        (largest
          ? `holds ${largest.chargers.toLocaleString('en-US')} chargers (the message rate of ${(largest.chargers * result.compression).toLocaleString('en-US')} at real intervals)`
          : 'no step held') +
        (broke
          ? `; at ${broke.chargers.toLocaleString('en-US')}: ${limitOf(broke)}`
          : '; the ramp ended before breaking') +
        '.',
      '',
      `| chargers | msg/s | OCPP p50 / p99 (ms) | API p50 / p99 (ms) | errors | CPU proxy / backend / DB / load (cores) | fds proxy / backend | holds (p99 < ${CAPACITY_GOALS.ocppP99Ms} / ${CAPACITY_GOALS.apiP99Ms} ms, 0 errors) |`,
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      ...result.steps.map(
        (s) =>
          `| ${s.chargers.toLocaleString('en-US')} | ${Math.round(s.messagesPerSecond).toLocaleString('en-US')} | ${s.ocppP50Ms.toFixed(1)} / ${s.ocppP99Ms.toFixed(1)} | ${s.apiP50Ms.toFixed(1)} / ${s.apiP99Ms.toFixed(1)} | ${s.errors} | ${[s.cpu.proxy, s.cpu.backend, s.cpu.database, s.cpu.loadGenerator].map((c) => c.toFixed(2)).join(' / ')} | ${s.fds.proxy.toLocaleString('en-US')} / ${s.fds.backend.toLocaleString('en-US')} | ${s.holds ? 'yes' : 'NO'} |`,
      ),
      '',
    );
  }
  return lines.join('\n');
}

const CAPACITY_OPTIONS = {
  databases: DATABASES_OPTION,
  steps: {
    type: 'string',
    default: '1000,2000,4000,6000,8000,10000',
    describe: 'Connections at each step of the ramp',
    check: wholeNumbers(1),
  },
  'step-seconds': { type: 'string', default: '30', describe: 'How long each step is measured', check: positiveNumber },
  compression: {
    type: 'string',
    default: '10',
    describe: "The fleet's intervals are divided by this: one connection stands for this many chargers",
    check: positiveNumber,
  },
  target: {
    type: 'string',
    default: 'ocpp-edge-x2',
    describe: 'The edge in front of the backend',
    check: oneOf(TARGET_NAMES),
  },
  node: { type: 'string', describe: 'Node binary for the Node processes (default: this Node)' },
  'fleet-workers': FLEET_WORKERS_OPTION,
  'no-plot': { type: 'boolean', default: false, describe: 'Do not write docs/capacity.svg' },
} as const satisfies Record<string, BenchOption>;

async function main(values: BenchValues<typeof CAPACITY_OPTIONS>): Promise<void> {
  const target = values.target as TargetName;
  const steps = values.steps.split(',').map(Number);
  await ensureJemalloc(log);
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-capacity-'));
  const fleet = await LoadFleet.start(Number(values['fleet-workers']));
  const results: CapacityResult[] = [];
  try {
    const certificates = await createBenchCertificates(workDir);
    for (const database of values.databases.split(',') as BenchDatabaseKind[]) {
      results.push(
        await measureCapacity(
          fleet,
          certificates,
          {
            database,
            steps,
            stepSeconds: Number(values['step-seconds']),
            compression: Number(values.compression),
            target,
            nodeBinary: values.node,
          },
          log,
        ),
      );
    }
  } finally {
    await fleet.stop();
    await rm(workDir, { recursive: true, force: true });
  }
  process.stdout.write(`${capacityReport(results)}\n`);
  if (!values['no-plot']) {
    const title = `ocpp-edge capacity: ${target} + backend, ${os.availableParallelism()} cores, intervals ÷ ${values.compression}`;
    await writeFile(PLOT_FILE, capacitySvg(results, title));
    log(`plot written to ${path.relative(process.cwd(), PLOT_FILE)}`);
  }
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  await runBenchCommand(
    'node dist/bench/capacity.js',
    "The capacity: a realistic fleet through the edge to the full backend, ramped up until the plan's targets break.",
    CAPACITY_OPTIONS,
    main,
    log,
  );
}
