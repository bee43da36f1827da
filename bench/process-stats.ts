// What a target costs the machine, read from /proc: the resident memory (VmRSS) and the CPU time (utime + stime)
// of a process and all its descendants (nginx's workers, a PM2 cluster's workers). Linux only, like the bench.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/PID/stat times (almost always 100). */
const CLOCK_TICKS_PER_SECOND = readClockTicks();

export interface ProcessStats {
  /** Processes counted (the root and its living descendants). */
  pids: number[];
  /** Sum of VmRSS, bytes. */
  rssBytes: number;
  /** Sum of user + system CPU time, milliseconds. */
  cpuMs: number;
}

/** RSS and CPU time of `rootPid` and every descendant alive now. */
export function processTreeStats(rootPid: number): ProcessStats {
  const pids = processTree(rootPid);
  let rssBytes = 0;
  let cpuMs = 0;
  for (const pid of pids) {
    // A worker may exit between listing and reading: count what is still there.
    rssBytes += readRssBytes(pid) ?? 0;
    cpuMs += readCpuMs(pid) ?? 0;
  }
  return { pids, rssBytes, cpuMs };
}

/**
 * CPU time of each process whose command name is `command` (PostgreSQL's server: postmaster and one process per
 * connection), ms by pid. A server the bench did not start is found this way; compare two readings with cpuGrowthMs.
 */
export function commandCpu(command: string): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    if (readProcFile(`/proc/${entry}/comm`)?.trim() !== command) continue;
    const cpuMs = readCpuMs(Number(entry));
    if (cpuMs !== undefined) byPid.set(Number(entry), cpuMs);
  }
  return byPid;
}

/**
 * The CPU used between two readings of commandCpu, ms: what each process still there used since the first, plus
 * all of what a process started since used. A process that ended in between is left out (what it used is lost),
 * never subtracted: summed totals went negative when another client's connections closed meanwhile.
 */
export function cpuGrowthMs(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): number {
  let grown = 0;
  for (const [pid, cpuMs] of after) grown += Math.max(0, cpuMs - (before.get(pid) ?? 0));
  return grown;
}

/** `rootPid` and its descendants, found through the parent pid of every process in /proc. */
export function processTree(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = readParentPid(Number(entry));
    if (parent === undefined) continue;
    const siblings = children.get(parent);
    if (siblings) siblings.push(Number(entry));
    else children.set(parent, [Number(entry)]);
  }
  const tree: number[] = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** VmRSS of one process in bytes, undefined when it is gone. */
export function readRssBytes(pid: number): number | undefined {
  const status = readProcFile(`/proc/${pid}/status`);
  const match = status?.match(/^VmRSS:\s+(\d+)\s+kB$/m);
  return match ? Number(match[1]) * 1024 : undefined;
}

/** utime + stime of one process in milliseconds, undefined when it is gone. */
export function readCpuMs(pid: number): number | undefined {
  const fields = statFields(pid);
  if (!fields) return undefined;
  // Fields after the command name: state is field 3, utime 14, stime 15 (1-based, proc(5)).
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  return ((utime + stime) * 1000) / CLOCK_TICKS_PER_SECOND;
}

function readParentPid(pid: number): number | undefined {
  const fields = statFields(pid);
  return fields ? Number(fields[4 - 3]) : undefined;
}

/** /proc/PID/stat from field 3 on; the command name (field 2) may contain spaces and parentheses. */
function statFields(pid: number): string[] | undefined {
  const stat = readProcFile(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function readProcFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function readClockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}
