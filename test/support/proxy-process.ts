// Runs the real `ocpp-edge proxy` command as a child process, on ephemeral ports, and reads its JSON log lines
// (the bound ports come from its "proxy listening" line).

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { CLI } from './cli.js';

export interface ProxyProcess {
  child: ChildProcess;
  httpsPort: number;
  httpPort: number;
  lines: Array<Record<string, unknown>>;
  /** Exit code (or signal name). */
  exited: Promise<number | string>;
}

const EPHEMERAL = ['--host', '127.0.0.1', '--https-port', '0', '--http-port', '0', '--metrics-port', '0'];

/** `nofile`: run it under `ulimit -n nofile` (a lowered open-file limit). */
export async function startProxyProcess(
  args: string[],
  timeoutMs = 15_000,
  options: { nofile?: number } = {},
): Promise<ProxyProcess> {
  const argv = [CLI, 'proxy', ...EPHEMERAL, ...args];
  const [command, commandArgs] =
    options.nofile === undefined
      ? [process.execPath, argv]
      : ['bash', ['-c', `ulimit -n ${options.nofile} && exec "$0" "$@"`, process.execPath, ...argv]];
  const child = spawn(command, commandArgs, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OCPP_EDGE_LOG_PRETTY: '0' },
  });
  const lines: Array<Record<string, unknown>> = [];
  let buffered = '';
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  const listening = new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the proxy did not start in time: ${stderr}`)), timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) !== -1) {
        const text = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        try {
          const line = JSON.parse(text) as Record<string, unknown>;
          lines.push(line);
          if (line.msg === 'proxy listening') {
            clearTimeout(timer);
            resolve(line);
          }
        } catch {
          // not a log line
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the proxy exited (${code}) before listening: ${stderr}`));
    });
  });
  const line = await listening;
  return { child, httpsPort: Number(line.httpsPort), httpPort: Number(line.httpPort), lines, exited };
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `ocpp-edge proxy ...` to completion (configuration errors exit at once). */
export async function runProxyCommand(
  args: string[],
  options: SpawnOptions = {},
  timeoutMs = 15_000,
): Promise<CommandResult> {
  const child = spawn(process.execPath, [CLI, 'proxy', ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}
