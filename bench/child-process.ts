// Starting the bench's long-running processes (targets, backends, load workers) and stopping them again, always
// bounded in time: a process that does not come up in time, or does not stop on SIGTERM, is killed.

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';

export interface StartedProcess {
  child: ChildProcess;
  pid: number;
  /** The line (parsed JSON) that said the process is ready. */
  ready: Record<string, unknown>;
  /** Everything it wrote to stderr so far (for error messages). */
  stderr(): string;
}

export interface StartOptions extends SpawnOptions {
  /** Whether a JSON line on stdout says the process is ready. */
  isReady(line: Record<string, unknown>): boolean;
  timeoutMs?: number;
  /** Called with every stdout line after the ready one (default: discarded). */
  onLine?(line: string): void;
}

/**
 * Spawns `command` with the open-files limit raised to the hard limit (9,000 connections need 18,000 descriptors
 * in a proxy) and waits for its ready line.
 */
export async function startProcess(command: string, args: string[], options: StartOptions): Promise<StartedProcess> {
  const { isReady, timeoutMs = 20_000, onLine, ...spawnOptions } = options;
  // `exec` keeps the pid: the shell only raises the limit and becomes the command.
  const child = spawn('/bin/sh', ['-c', 'ulimit -n "$(ulimit -Hn)"; exec "$@"', 'sh', command, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...spawnOptions,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    // Keep the tail only: a chatty process must not grow the bench's memory.
    stderr = (stderr + chunk.toString()).slice(-8192);
  });
  let buffered = '';
  let readyLine: Record<string, unknown> | undefined;
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${command} ${args[0] ?? ''} did not get ready within ${timeoutMs} ms: ${stderr}`)),
      timeoutMs,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      // Once ready, a target's access log is only drained: parsing it would take CPU from what is measured.
      if (readyLine && !onLine) return;
      buffered += chunk.toString();
      for (let newline = buffered.indexOf('\n'); newline !== -1; newline = buffered.indexOf('\n')) {
        const text = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (readyLine) {
          onLine?.(text);
          continue;
        }
        const parsed = parseJson(text);
        if (parsed && isReady(parsed)) {
          readyLine = parsed;
          clearTimeout(timer);
          resolve(parsed);
        }
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${command} ${args[0] ?? ''} exited (${code ?? signal}) before it was ready: ${stderr}`));
    });
  });
  try {
    return { child, pid: child.pid!, ready: await ready, stderr: () => stderr };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

/** SIGTERM, then SIGKILL after `timeoutMs`; resolves once the process has exited. */
export async function stopProcess(child: ChildProcess, timeoutMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
