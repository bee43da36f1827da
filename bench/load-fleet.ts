// The bench's side of the load generator: a few worker processes (load-worker.ts, one per core by default), each
// holding a share of the connections. Commands go to every worker at once and their results are merged, so a
// measurement reads like one client: open 9,000 connections, send Heartbeats for 20 s, close.

import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { startProcess, stopProcess, type StartedProcess } from './child-process.js';
import type { LoadCommand, LoadReply, MessagesResult, MixSpec, OpenResult, OpenSpec } from './load-protocol.js';
import { OcppVersionSequence, parseOcppMix, type OcppVersion } from '../tools/simulate/ocpp-mix.js';

const WORKER_SCRIPT = fileURLToPath(new URL('./load-worker.js', import.meta.url));
/** Workers start together this long after the command is sent (IPC and a busy event loop take a moment). */
const START_DELAY_MS = 200;
/**
 * Chargers on IPv4 loopback come from this many source addresses, 127.0.1.1 onwards, as a real fleet comes from
 * many NAT gateways and carrier APNs: one address would trip the proxy's per-address limits (a connection ceiling
 * of 4,096 and a connection rate, docs/OPERATIONS.md), which exist to stop one address doing what a storm does.
 */
export const FLEET_SOURCE_ADDRESSES = 64;

/** The source addresses for a fleet connecting to `url` (none when it is not IPv4 loopback). */
export function fleetSourceAddresses(url: string, count = FLEET_SOURCE_ADDRESSES): string[] | undefined {
  const host = new URL(url).hostname;
  if (!/^127\.\d+\.\d+\.\d+$/.test(host) || count <= 0) return undefined;
  return Array.from({ length: count }, (_, i) => `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`);
}

export interface OpenRequest {
  url: string;
  /** Charger ids, spread over the workers. */
  ids: string[];
  /** Attempts in flight at once, across all workers. */
  concurrency: number;
  caPem?: string;
  boot?: boolean;
  timeoutMs?: number;
  /** The fleet's OCPP versions as `ocpp-edge simulate --ocpp` takes them (1.6:50%,2.0.1:50%); default 1.6. */
  ocpp?: string;
  /** Source addresses on IPv4 loopback (FLEET_SOURCE_ADDRESSES by default; 1: the OS's one address). */
  sourceAddresses?: number;
}

export interface FleetOpenResult extends OpenResult {
  /** ms from the common start until the last connection was ready. */
  lastReadyMs: number;
}

export class LoadFleet {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(reply: LoadReply): void }>();

  private constructor(private readonly workers: StartedProcess[]) {
    for (const worker of workers)
      worker.child.on('message', (reply: LoadReply) => this.waiting.get(reply.id)?.resolve(reply));
  }

  static async start(workerCount: number): Promise<LoadFleet> {
    const workers = await Promise.all(
      Array.from({ length: workerCount }, () =>
        startProcess(process.execPath, [WORKER_SCRIPT], {
          isReady: (line) => line.ready === true,
          stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        }),
      ),
    );
    return new LoadFleet(workers);
  }

  get pids(): number[] {
    return this.workers.map((worker) => worker.pid);
  }

  /** Opens (and holds) connections; with `boot`, each sends a BootNotification and waits for Accepted. */
  async open(request: OpenRequest): Promise<FleetOpenResult> {
    const startAt = performance.timeOrigin + performance.now() + START_DELAY_MS;
    const shares = this.split(request.ids);
    const sequence = new OcppVersionSequence(parseOcppMix(request.ocpp ?? '1.6'));
    const versionOf = new Map<string, OcppVersion>(request.ids.map((id) => [id, sequence.next()]));
    const addresses = fleetSourceAddresses(request.url, request.sourceAddresses);
    const replies = await Promise.all(
      this.workers.map((_, index) => {
        const spec: OpenSpec = {
          url: request.url,
          ids: shares[index]!,
          versions: shares[index]!.map((id) => versionOf.get(id)!),
          concurrency: Math.max(1, Math.round(request.concurrency / this.workers.length)),
          caPem: request.caPem,
          boot: request.boot ?? false,
          startAt,
          timeoutMs: request.timeoutMs ?? 60_000,
          localAddresses: request.sourceAddresses === 1 ? undefined : addresses,
        };
        return this.command(index, { type: 'open', id: 0, spec });
      }),
    );
    const merged: FleetOpenResult = { opened: 0, failures: {}, readyAtMs: [], openedByVersion: {}, lastReadyMs: 0 };
    for (const reply of replies) {
      if (reply.type !== 'opened') throw new Error(`load worker: unexpected ${reply.type}`);
      merged.opened += reply.result.opened;
      mergeCounts(merged.failures, reply.result.failures);
      mergeCounts(merged.openedByVersion, reply.result.openedByVersion);
      for (const ms of reply.result.readyAtMs) merged.readyAtMs.push(ms);
    }
    merged.lastReadyMs = merged.readyAtMs.reduce((max, ms) => Math.max(max, ms), 0);
    return merged;
  }

  /** Every held connection sends a Heartbeat each `intervalMs` for `durationMs`. */
  heartbeats(intervalMs: number, durationMs: number): Promise<MessagesResult> {
    return this.messages({ type: 'heartbeats', id: 0, intervalMs, durationMs });
  }

  /** Every held connection keeps one call in flight for `durationMs`. */
  closedLoop(durationMs: number): Promise<MessagesResult> {
    return this.messages({ type: 'closed-loop', id: 0, durationMs });
  }

  /** Every held connection runs the capacity run's fleet mix for `spec.durationMs`. */
  mix(spec: MixSpec): Promise<MessagesResult> {
    return this.messages({ type: 'mix', id: 0, spec });
  }

  /** Closes every held connection; returns how many were still open (the rest were lost while held). */
  async closeAll(timeoutMs = 10_000): Promise<number> {
    const replies = await Promise.all(
      this.workers.map((_, index) => this.command(index, { type: 'close', id: 0, timeoutMs })),
    );
    return replies.reduce((total, reply) => total + (reply.type === 'closed' ? reply.stillOpen : 0), 0);
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((worker) => stopProcess(worker.child)));
  }

  private async messages(command: LoadCommand): Promise<MessagesResult> {
    const replies = await Promise.all(this.workers.map((_, index) => this.command(index, command)));
    const merged: MessagesResult = { sent: 0, answered: 0, failures: {}, rttMs: [] };
    for (const reply of replies) {
      if (reply.type !== 'messages') throw new Error(`load worker: unexpected ${reply.type}`);
      merged.sent += reply.result.sent;
      merged.answered += reply.result.answered;
      mergeCounts(merged.failures, reply.result.failures);
      for (const ms of reply.result.rttMs) merged.rttMs.push(ms);
    }
    return merged;
  }

  /** Sends one command to one worker and waits for its reply; a worker that dies fails the command. */
  private command(index: number, command: LoadCommand): Promise<LoadReply> {
    const worker = this.workers[index]!;
    const id = this.nextId++;
    return new Promise<LoadReply>((resolve, reject) => {
      const onExit = (code: number | null) =>
        finish(() => reject(new Error(`load worker exited (${code}) during ${command.type}: ${worker.stderr()}`)));
      const finish = (settle: () => void) => {
        this.waiting.delete(id);
        worker.child.off('exit', onExit);
        settle();
      };
      this.waiting.set(id, {
        resolve: (reply) =>
          finish(() => (reply.type === 'failed' ? reject(new Error(`load worker: ${reply.message}`)) : resolve(reply))),
      });
      worker.child.once('exit', onExit);
      worker.child.send({ ...command, id });
    });
  }

  /** Round robin, so every worker gets an equal share. */
  private split(ids: string[]): string[][] {
    const shares: string[][] = this.workers.map(() => []);
    for (const [index, id] of ids.entries()) shares[index % shares.length]!.push(id);
    return shares;
  }
}

export function chargerIds(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => `${prefix}${String(index + 1).padStart(5, '0')}`);
}

function mergeCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [kind, count] of Object.entries(from)) into[kind] = (into[kind] ?? 0) + count;
}
