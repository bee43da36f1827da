// Capacity (issue 22, §3): the largest fleet the whole stack holds with a realistic mix, the number an operator
// plans with. Chargers are added in steps through the proxy's cluster workers to the real backend (SQLite or
// PostgreSQL); at each step every charger runs the fleet mix (Heartbeat every 300 s, 20 % in a transaction with
// MeterValues every 60 s, a StatusNotification every 600 s) while the API sends one remote command (TriggerMessage)
// and one read (GET /api/charge-points/:id) per second. A step holds while OCPP round trips stay under 200 ms at
// p99, API requests under 100 ms at p99, and nothing fails; the ramp stops at the first step that does not hold.
// The intervals can be divided by a compression factor, so that a fleet the machine can open carries the message
// rate of a larger one; the report says so.

import https from 'node:https';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { LatencyHistogram } from '../../common/latency-histogram.js';
import type { BenchCertificates } from '../certificates.js';
import type { BenchDatabaseKind } from '../bench-database.js';
import { startFullBackend } from '../full-backend.js';
import { chargerIds, type LoadFleet } from '../load-fleet.js';
import { processTree, processTreeStats } from '../process-stats.js';
import { startTarget, type TargetName } from '../targets.js';
import { totalFailures } from './context.js';

/** The mix at real time, seconds (the issue's fleet). */
export const REAL_MIX = { heartbeatS: 300, meterValuesS: 60, statusS: 600, transactionShare: 0.2 };
/** What a step must keep (issue 22, §3, from the plan's targets). */
export const CAPACITY_GOALS = { ocppP99Ms: 200, apiP99Ms: 100 };

export interface CapacityOptions {
  database: BenchDatabaseKind;
  /** Fleet sizes, ascending. */
  steps: number[];
  /** How long each step's mix runs. */
  stepSeconds: number;
  /** Every interval of REAL_MIX divided by this (1: real time). */
  compression: number;
  target?: TargetName;
  nodeBinary?: string;
}

export interface CapacityStep {
  chargers: number;
  /** Charger calls per second during the step (all kinds). */
  messagesPerSecond: number;
  ocppP50Ms: number;
  ocppP99Ms: number;
  apiRequests: number;
  apiP50Ms: number;
  apiP99Ms: number;
  errors: number;
  errorKinds: Record<string, number>;
  /** CPU of each party during the step, as a share of one core (1 = a core fully busy). */
  cpu: { proxy: number; backend: number; database: number; loadGenerator: number };
  /** Open descriptors at the end of the step. */
  fds: { proxy: number; backend: number };
  holds: boolean;
}

export interface CapacityResult {
  database: BenchDatabaseKind;
  compression: number;
  steps: CapacityStep[];
}

const API_TOKEN = 'bench-capacity-operator-token';
const OPEN_CONCURRENCY = 100;

export function stepHolds(step: Omit<CapacityStep, 'holds'>): boolean {
  return step.errors === 0 && step.ocppP99Ms < CAPACITY_GOALS.ocppP99Ms && step.apiP99Ms < CAPACITY_GOALS.apiP99Ms;
}

/** The largest step that held, provided every smaller one held too (a ramp that broke early holds nothing more). */
export function largestHolding(steps: CapacityStep[]): CapacityStep | undefined {
  let largest: CapacityStep | undefined;
  for (const step of steps) {
    if (!step.holds) break;
    largest = step;
  }
  return largest;
}

/** Why a step broke, in the operator's words: which goal, and which party was busiest (near a core: the limit). */
export function limitOf(step: CapacityStep): string {
  const broken: string[] = [];
  if (step.errors > 0)
    broken.push(
      `${step.errors} errors (${Object.entries(step.errorKinds)
        .map(([kind, count]) => `${kind}: ${count}`)
        .join(', ')})`,
    );
  if (step.ocppP99Ms >= CAPACITY_GOALS.ocppP99Ms) broken.push(`OCPP p99 ${Math.round(step.ocppP99Ms)} ms`);
  if (step.apiP99Ms >= CAPACITY_GOALS.apiP99Ms) broken.push(`API p99 ${Math.round(step.apiP99Ms)} ms`);
  const [busiest, share] = Object.entries(step.cpu).sort((a, b) => b[1] - a[1])[0]!;
  return `${broken.join('; ') || 'held'}; busiest: ${busiest} at ${Math.round(share * 100)} % of a core`;
}

export async function measureCapacity(
  fleet: LoadFleet,
  certificates: BenchCertificates,
  options: CapacityOptions,
  log: (line: string) => void,
): Promise<CapacityResult> {
  const backend = await startFullBackend(options.database, {
    nodeBinary: options.nodeBinary,
    args: ['--api-token', `operator:${API_TOKEN}`],
  });
  const steps: CapacityStep[] = [];
  try {
    const target = await startTarget(options.target ?? 'ocpp-edge-x2', {
      backendPort: backend.port,
      backendPid: backend.process.pid,
      directOcppUrl: `ws://127.0.0.1:${backend.port}/ocpp`,
      directApiUrl: undefined,
      certificates,
      nginxBinary: 'nginx',
      nodeBinary: options.nodeBinary,
    });
    try {
      const api = new ApiDriver(target.apiUrl!, certificates.caPem);
      const databasePids = () =>
        options.database === 'postgres' ? postgresPidsOf(backend.process.pid) : Promise.resolve([]);
      let opened: string[] = [];
      for (const size of options.steps) {
        const ids = chargerIds('CAP', size).slice(opened.length);
        const open = await fleet.open({
          url: target.ocppUrl,
          ids,
          concurrency: OPEN_CONCURRENCY,
          caPem: certificates.caPem,
          boot: true,
          timeoutMs: 60_000,
        });
        opened = chargerIds('CAP', size);
        // Let the backend's after-boot calls of the new chargers pass before measuring: they start 2–4 s after
        // each boot (--after-boot-delay 2, up to twice that) and read each charger's configuration.
        await sleep(Math.min(20_000, 8000 + size * 2));
        // The API's connections through the proxy opened and its routes run once before the window: the first
        // request of a run (a TLS handshake, the proxy's upstream connection, the routes' first call) took 60–130
        // ms and, with a request a second, was the whole p99 of a step.
        await api.warmUp(opened);
        const pgPids = await databasePids();
        const cpu = () => ({
          proxy: processTreeStats(target.pid).cpuMs,
          backend: processTreeStats(backend.process.pid).cpuMs,
          database: pgPids.reduce((sum, pid) => sum + processTreeStats(pid).cpuMs, 0),
          loadGenerator: fleet.pids.reduce((sum, pid) => sum + processTreeStats(pid).cpuMs, 0),
        });
        const before = cpu();
        const startedAt = performance.now();
        const durationMs = options.stepSeconds * 1000;
        const [messages, apiResult] = await Promise.all([
          fleet.mix({
            heartbeatMs: (REAL_MIX.heartbeatS * 1000) / options.compression,
            meterValuesMs: (REAL_MIX.meterValuesS * 1000) / options.compression,
            statusMs: (REAL_MIX.statusS * 1000) / options.compression,
            transactionEvery: Math.round(1 / REAL_MIX.transactionShare),
            durationMs,
          }),
          api.run(durationMs, opened),
        ]);
        const elapsedMs = performance.now() - startedAt;
        const after = cpu();
        const errorKinds: Record<string, number> = {};
        for (const [kind, count] of Object.entries(open.failures)) errorKinds[`open: ${kind}`] = count;
        for (const [kind, count] of Object.entries(messages.failures)) errorKinds[`ocpp: ${kind}`] = count;
        for (const [kind, count] of Object.entries(apiResult.failures)) errorKinds[`api: ${kind}`] = count;
        const ocpp = LatencyHistogram.of(messages.rttMs);
        const apiLatency = LatencyHistogram.of(apiResult.latenciesMs);
        // A database server process that ends during the step takes its CPU time with it: never below zero.
        const share = (key: keyof typeof before) => Math.max(0, after[key] - before[key]) / elapsedMs;
        const measured = {
          chargers: size,
          messagesPerSecond: (messages.sent * 1000) / elapsedMs,
          ocppP50Ms: ocpp.percentileMs(50),
          ocppP99Ms: ocpp.percentileMs(99),
          apiRequests: apiResult.latenciesMs.length,
          apiP50Ms: apiLatency.percentileMs(50),
          apiP99Ms: apiLatency.percentileMs(99),
          errors: totalFailures(errorKinds),
          errorKinds,
          cpu: {
            proxy: share('proxy'),
            backend: share('backend'),
            database: share('database'),
            loadGenerator: share('loadGenerator'),
          },
          fds: {
            proxy: processTree(target.pid).reduce((sum, pid) => sum + openFds(pid), 0),
            backend: openFds(backend.process.pid),
          },
        };
        const step = { ...measured, holds: stepHolds(measured) };
        log(`${options.database} ${size} chargers: ${JSON.stringify(step)}`);
        steps.push(step);
        if (!step.holds) break;
      }
      api.close();
      await fleet.closeAll();
    } finally {
      await target.stop();
    }
  } finally {
    await backend.stop();
  }
  return { database: options.database, compression: options.compression, steps };
}

/** The operator's side: one remote command and one read per second, through the proxy, with a keep-alive agent. */
class ApiDriver {
  private readonly agent: https.Agent;

  constructor(
    private readonly baseUrl: string,
    caPem: string,
  ) {
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 4, ca: caPem });
  }

  async run(durationMs: number, ids: string[]): Promise<{ latenciesMs: number[]; failures: Record<string, number> }> {
    const latenciesMs: number[] = [];
    const failures: Record<string, number> = {};
    const pending: Array<Promise<void>> = [];
    const origin = new URL(this.baseUrl).origin;
    const record = async (method: string, path: string, body?: object) => {
      const started = performance.now();
      const outcome = await this.request(method, `${origin}${path}`, body);
      if (outcome === 200) latenciesMs.push(performance.now() - started);
      else failures[`${method} ${String(outcome)}`] = (failures[`${method} ${String(outcome)}`] ?? 0) + 1;
    };
    const end = performance.now() + durationMs;
    for (let second = 0; performance.now() < end; second++) {
      const id = ids[(second * 7919) % ids.length]!;
      pending.push(
        record('POST', `/api/charge-points/${id}/trigger-message`, { requestedMessage: 'Heartbeat' }),
        record('GET', `/api/charge-points/${id}`),
      );
      await sleep(1000);
    }
    await Promise.all(pending);
    return { latenciesMs, failures };
  }

  /** One request of each kind, not recorded, several at once so the agent's keep-alive sockets are all open. */
  async warmUp(ids: string[]): Promise<void> {
    const origin = new URL(this.baseUrl).origin;
    const id = ids[0]!;
    await Promise.all(
      [0, 1].flatMap(() => [
        this.request('POST', `${origin}/api/charge-points/${id}/trigger-message`, { requestedMessage: 'Heartbeat' }),
        this.request('GET', `${origin}/api/charge-points/${id}`),
      ]),
    );
  }

  close(): void {
    this.agent.destroy();
  }

  /** The status code, or the error's code when the request failed before one (bounded at 10 s). */
  private request(method: string, url: string, body?: object): Promise<number | string> {
    return new Promise((resolve) => {
      const payload = body ? JSON.stringify(body) : undefined;
      const req = https.request(
        url,
        {
          method,
          agent: this.agent,
          timeout: 10_000,
          headers: {
            authorization: `Bearer ${API_TOKEN}`,
            ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
      req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      req.end(payload);
    });
  }
}

function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

/**
 * The PostgreSQL server processes serving `backendPid`'s pool: its TCP connections to port 5432 (from
 * /proc/PID/fd and /proc/net/tcp) matched with pg_stat_activity's client_port. Others' tests use the same
 * server, so the whole postmaster's CPU would not be ours.
 */
async function postgresPidsOf(backendPid: number): Promise<number[]> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${backendPid}/fd`)) {
    try {
      const link = readlinkSync(`/proc/${backendPid}/fd/${fd}`);
      const match = /^socket:\[(\d+)\]$/.exec(link);
      if (match) inodes.add(match[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || !inodes.has(fields[9]!)) continue;
    const [, remotePort] = fields[2]!.split(':');
    if (Number.parseInt(remotePort!, 16) !== 5432) continue;
    ports.push(Number.parseInt(fields[1]!.split(':')[1]!, 16));
  }
  if (ports.length === 0) return [];
  const { reachablePostgresUser, POSTGRES_HOST } = await import('../../test/support/storage-targets.js');
  const client = new pg.Client({
    connectionString: `postgres://${await reachablePostgresUser()}@${POSTGRES_HOST}/test`,
  });
  await client.connect();
  try {
    const rows = await client.query<{ pid: number }>(
      'select pid from pg_stat_activity where client_port = any($1::int[])',
      [ports],
    );
    return rows.rows.map((row) => row.pid);
  } finally {
    await client.end();
  }
}
