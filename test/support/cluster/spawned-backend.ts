// A backend as its own process (`node dist/bin/ocpp-edge.js backend …`), for what only a real process can show:
// kill -9, after which nothing of it runs — no shutdown hook, no presence clean-up.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { API_TOKEN, type ApiResponse } from '../backend-instance.js';
import { CLI, cleanEnvironment } from '../cli.js';

export interface SpawnedBackend {
  child: ChildProcess;
  port: number;
  httpUrl: string;
  /** http://127.0.0.1:PORT/metrics of its private metrics listener. */
  metricsUrl: string;
  ocppUrl: string;
  api(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (graceful), then waits for the exit. */
  stop(): Promise<void>;
}

/** flags: kebab-case flags as on the command line. */
export async function spawnBackend(flags: Record<string, string | number>): Promise<SpawnedBackend> {
  const args = [CLI, 'backend', '--port', '0', '--metrics-port', '0', '--api-token', API_TOKEN, '--log-level', 'info'];
  for (const [key, value] of Object.entries(flags)) args.push(`--${key}`, String(value));
  // Nothing from the test's own environment configures the backend.
  const child = spawn(process.execPath, args, { env: cleanEnvironment(), stdio: ['ignore', 'pipe', 'pipe'] });
  // A test run that dies must not leave backends behind.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  const { port, metricsPort } = await listeningPorts(child);
  const httpUrl = `http://127.0.0.1:${port}`;
  const exit = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  };
  return {
    child,
    port,
    httpUrl,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    ocppUrl: `ws://127.0.0.1:${port}/ocpp`,
    async api(method, route, body) {
      const headers: Record<string, string> = { authorization: `Bearer ${API_TOKEN}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${httpUrl}${route}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text === '' ? undefined : JSON.parse(text), headers: response.headers };
    },
    kill: () => exit('SIGKILL'),
    stop: () => exit('SIGTERM'),
  };
}

/** The ports from the "backend listening" log line (bounded). */
function listeningPorts(child: ChildProcess, timeoutMs = 10000): Promise<{ port: number; metricsPort: number }> {
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`backend did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((candidate) => candidate.includes('backend listening'));
      if (!line) return;
      clearTimeout(timer);
      // Keep draining stdout so the child never blocks on a full pipe.
      child.stdout!.removeAllListeners('data').resume();
      resolve(JSON.parse(line) as { port: number; metricsPort: number });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`backend exited with ${code}:\n${output}`));
    });
  });
}
