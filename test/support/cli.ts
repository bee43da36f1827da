// The one way the tests run an ocpp-edge process: the built CLI (dist/bin/ocpp-edge.js) as a child of this node
// binary, in a clean environment, its output kept line by line and its JSON log lines readable as they come.
// Long-running ones (spawnOcppEdge) are killed if the test process dies; short ones (runCli) are run to completion.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../bin/ocpp-edge.js', import.meta.url));

/** This process's environment without anything that would configure an ocpp-edge process from outside the test. */
export function cleanEnvironment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !key.startsWith('OCPP_EDGE_') && key !== 'DATABASE_URL' && key !== 'REDIS_URL',
    ),
  );
  return { ...env, ...extra };
}

export interface OcppEdgeOptions {
  /** Added to the clean environment. */
  env?: NodeJS.ProcessEnv;
  /** Node's own flags, before the script (e.g. `--import` a hook). */
  nodeArgs?: string[];
  /** Another script run with `args` instead of the CLI (e.g. a cluster launcher that forks the CLI). */
  script?: string;
  /** Run as this user and group (a test of what an unprivileged user may do). */
  uid?: number;
  gid?: number;
  /** Run under `ulimit -n nofile`: a lowered open-file limit. */
  nofile?: number;
  /** A command the node process runs under, its arguments before node's (e.g. strace and its flags). */
  wrapper?: string[];
}

export interface OcppEdgeProcess {
  child: ChildProcess;
  /** Every line written to stdout and stderr so far, in order. */
  output: string[];
  /** Resolves with its exit code (or the signal's name) once it has exited. */
  exited: Promise<number | string>;
  /** The first JSON log line (stdout) whose `msg` is `message`, past or future; fails if it exits first or times out. */
  logLine(message: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** `signal` (SIGTERM by default), SIGKILL if still running after `killAfterMs`; resolves once it has exited. */
  stop(signal?: NodeJS.Signals, killAfterMs?: number): Promise<void>;
}

/** Starts `ocpp-edge ...args` as a long-running child process. */
export function spawnOcppEdge(args: string[], options: OcppEdgeOptions = {}): OcppEdgeProcess {
  const child = spawnChild(args, options);
  // A test run that dies must not leave processes behind.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));

  const output: string[] = [];
  const logLines: Array<Record<string, unknown>> = [];
  const waiting = new Set<() => void>();
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  // "close" comes once its output is read to the end too: only then is a line it never wrote known to be missing.
  let exitCode: number | string | undefined;
  child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
    exitCode = code ?? signal ?? 'unknown';
    for (const wake of waiting) wake();
  });
  const readLines = (stream: NodeJS.ReadableStream, isStdout: boolean) => {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        output.push(line);
        if (isStdout) {
          const parsed = parseLogLine(line);
          if (parsed) logLines.push(parsed);
        }
      }
      if (isStdout) for (const wake of waiting) wake();
    });
  };
  readLines(child.stdout!, true);
  readLines(child.stderr!, false);

  return {
    child,
    output,
    exited,
    logLine(message, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = logLines.find((candidate) => candidate.msg === message);
          if (line) finish(() => resolve(line));
          else if (exitCode !== undefined)
            finish(() => reject(new Error(`exited (${exitCode}) before "${message}":\n${output.join('\n')}`)));
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`no "${message}" within ${timeoutMs} ms:\n${output.join('\n')}`))),
          timeoutMs,
        );
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          waiting.delete(check);
          settle();
        };
        waiting.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM', killAfterMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions extends OcppEdgeOptions {
  /** Kill it (and fail) if it runs longer (default 60 s). */
  timeoutMs?: number;
}

/** Runs `ocpp-edge ...args` to completion (all its output read); kills it and fails if it outlives `timeoutMs`. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const { timeoutMs = 60_000 } = options;
  return new Promise((resolve, reject) => {
    const child = spawnChild(args, options);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `ocpp-edge ${args.join(' ')} still running after ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function spawnChild(args: string[], options: OcppEdgeOptions) {
  const { env = {}, nodeArgs = [], script = CLI, uid, gid, nofile, wrapper = [] } = options;
  const argv = [...wrapper.slice(1), ...(wrapper.length > 0 ? [process.execPath] : []), ...nodeArgs, script, ...args];
  const executable = wrapper[0] ?? process.execPath;
  const [command, commandArgs] =
    nofile === undefined
      ? [executable, argv]
      : ['bash', ['-c', `ulimit -n ${nofile} && exec "$0" "$@"`, executable, ...argv]];
  return spawn(command, commandArgs, {
    env: cleanEnvironment(env),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(uid !== undefined && { uid }),
    ...(gid !== undefined && { gid }),
  });
}

function parseLogLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
