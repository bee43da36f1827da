// Issue 22, §2: CPU per round trip of proxy and backend together when the proxy reaches the backend over a Unix
// domain socket rather than loopback TCP, for ocpp-edge and for nginx (the plan's site, `server unix:…` in its
// upstream block). The echo backend listens on both; each variant runs the b. load (N chargers, a Heartbeat each
// per second) for a fixed time, and the CPU of the target's process tree plus the backend's is divided by the
// round trips answered. Variants rotate per repetition, as in run.ts; medians are reported.
//
//   node dist/bench/upstream-transport.js [--chargers 1000] [--seconds 15] [--reps 3]

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEchoBackend } from './backend-echo.js';
import { type BenchOption, type BenchValues, positiveNumber, runBenchCommand, wholeNumber } from './bench-cli.js';
import { createBenchCertificates, type BenchCertificates } from './certificates.js';
import { stopProcess } from './child-process.js';
import { chargerIds, LoadFleet } from './load-fleet.js';
import { ensureNginx } from './nginx.js';
import { processTreeStats } from './process-stats.js';
import { median } from '../common/median.js';
import { repetitionOrder } from './statistics.js';
import { ensureJemalloc, startTarget } from './targets.js';
import { totalFailures } from './measurements/context.js';

export type TransportVariant = { target: 'ocpp-edge' | 'nginx'; upstream: 'tcp' | 'unix' };
export const TRANSPORT_VARIANTS: readonly TransportVariant[] = [
  { target: 'ocpp-edge', upstream: 'tcp' },
  { target: 'ocpp-edge', upstream: 'unix' },
  { target: 'nginx', upstream: 'tcp' },
  { target: 'nginx', upstream: 'unix' },
];

export interface TransportRun {
  answered: number;
  failures: number;
  /** CPU per 1,000 round trips, ms: the proxy's process tree, the backend's, and both. */
  proxyPer1kMs: number;
  backendPer1kMs: number;
  totalPer1kMs: number;
}

export async function measureTransport(
  variant: TransportVariant,
  setup: { fleet: LoadFleet; certificates: BenchCertificates; nginxBinary: string; workDir: string },
  options: { chargers: number; durationMs: number },
): Promise<TransportRun> {
  const socket = path.join(setup.workDir, `backend-${process.pid}.sock`);
  const backend = await startEchoBackend(undefined, socket);
  try {
    const target = await startTarget(variant.target, {
      backendPort: backend.port,
      backendSocket: variant.upstream === 'unix' ? socket : undefined,
      backendPid: backend.process.pid,
      directOcppUrl: '',
      directApiUrl: undefined,
      certificates: setup.certificates,
      nginxBinary: setup.nginxBinary,
    });
    try {
      const opened = await setup.fleet.open({
        url: target.ocppUrl,
        ids: chargerIds('UDS', options.chargers),
        concurrency: 100,
        caPem: setup.certificates.caPem,
      });
      await sleep(500);
      const cpu = () => [processTreeStats(target.pid).cpuMs, processTreeStats(backend.process.pid).cpuMs] as const;
      const [proxyBefore, backendBefore] = cpu();
      const result = await setup.fleet.heartbeats(1000, options.durationMs);
      const [proxyAfter, backendAfter] = cpu();
      await setup.fleet.closeAll();
      const per1k = (ms: number) => (ms / Math.max(1, result.answered)) * 1000;
      return {
        answered: result.answered,
        failures: totalFailures(opened.failures) + totalFailures(result.failures),
        proxyPer1kMs: per1k(proxyAfter - proxyBefore),
        backendPer1kMs: per1k(backendAfter - backendBefore),
        totalPer1kMs: per1k(proxyAfter - proxyBefore + backendAfter - backendBefore),
      };
    } finally {
      await target.stop();
    }
  } finally {
    await stopProcess(backend.process.child);
    await rm(socket, { force: true });
  }
}

/** Markdown: per variant the medians, and proxy + backend against ocpp-edge over TCP and nginx over TCP. */
export function transportTable(runs: Map<string, TransportRun[]>): string {
  const label = (variant: TransportVariant) => `${variant.target} → backend over ${variant.upstream}`;
  const totals = new Map(
    TRANSPORT_VARIANTS.map((v) => [label(v), median((runs.get(label(v)) ?? []).map((r) => r.totalPer1kMs))]),
  );
  const edgeTcp = totals.get(label(TRANSPORT_VARIANTS[0]!))!;
  const nginxTcp = totals.get(label(TRANSPORT_VARIANTS[2]!))!;
  const lines = [
    '| variant | proxy CPU / 1k RT (ms) | backend CPU / 1k RT (ms) | proxy + backend (ms) | vs ocpp-edge over TCP | vs nginx over TCP | runs | failures |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const variant of TRANSPORT_VARIANTS) {
    const list = runs.get(label(variant)) ?? [];
    if (list.length === 0) continue;
    const total = totals.get(label(variant))!;
    lines.push(
      `| ${label(variant)} | ${median(list.map((r) => r.proxyPer1kMs)).toFixed(1)} | ${median(list.map((r) => r.backendPer1kMs)).toFixed(1)} | ${total.toFixed(1)} | ${(total / edgeTcp).toFixed(2)}× | ${(total / nginxTcp).toFixed(2)}× | ${list.length} | ${list.reduce((sum, r) => sum + r.failures, 0)} |`,
    );
  }
  return lines.join('\n');
}

const TRANSPORT_OPTIONS = {
  chargers: { type: 'string', default: '1000', describe: 'Connections exchanging messages', check: wholeNumber(1) },
  seconds: { type: 'string', default: '15', describe: 'How long each run is measured', check: positiveNumber },
  reps: { type: 'string', default: '3', describe: 'Runs of each transport, interleaved', check: wholeNumber(1) },
} as const satisfies Record<string, BenchOption>;

async function main(values: BenchValues<typeof TRANSPORT_OPTIONS>): Promise<void> {
  const log = (line: string) => process.stderr.write(`[transport ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  const nginxBinary = await ensureNginx(log);
  await ensureJemalloc(log);
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-transport-'));
  const fleet = await LoadFleet.start(Math.max(2, os.availableParallelism()));
  const runs = new Map<string, TransportRun[]>();
  try {
    const certificates = await createBenchCertificates(workDir);
    for (let rep = 1; rep <= Number(values.reps); rep++) {
      for (const variant of repetitionOrder(TRANSPORT_VARIANTS, rep)) {
        const key = `${variant.target} → backend over ${variant.upstream}`;
        const run = await measureTransport(
          variant,
          { fleet, certificates, nginxBinary, workDir },
          { chargers: Number(values.chargers), durationMs: Number(values.seconds) * 1000 },
        );
        log(`rep ${rep} ${key}: ${JSON.stringify(run)}`);
        runs.set(key, [...(runs.get(key) ?? []), run]);
      }
    }
  } finally {
    await fleet.stop();
    await rm(workDir, { recursive: true, force: true });
  }
  process.stdout.write(`${transportTable(runs)}\n`);
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  await runBenchCommand(
    'node dist/bench/upstream-transport.js',
    'CPU per round trip of proxy and backend together, over loopback TCP and over a Unix socket, beside nginx.',
    TRANSPORT_OPTIONS,
    main,
    (line) => process.stderr.write(`transport: ${line}\n`),
  );
}
