// A backend as its own process (`node dist/bin/ocpp-edge.js backend …`), for what only a real process can show:
// kill -9, after which nothing of it runs — no shutdown hook, no presence clean-up.

import type { ChildProcess } from 'node:child_process';
import { API_TOKEN, type ApiResponse } from '../backend-instance.js';
import { spawnOcppEdge } from '../cli.js';

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
  const args = ['backend', '--port', '0', '--metrics-port', '0', '--api-token', API_TOKEN, '--log-level', 'info'];
  for (const [key, value] of Object.entries(flags)) args.push(`--${key}`, String(value));
  const backend = spawnOcppEdge(args);
  // Generous: on a loaded machine a backend with PostgreSQL and Redis can take seconds to listen.
  const listening = await backend.logLine('backend listening', 30_000).catch(async (error: Error) => {
    await backend.stop('SIGKILL');
    throw error;
  });
  const port = Number(listening.port);
  const metricsPort = Number(listening.metricsPort);
  const httpUrl = `http://127.0.0.1:${port}`;
  return {
    child: backend.child,
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
    kill: () => backend.stop('SIGKILL'),
    // No SIGKILL behind it: a graceful stop that hangs is what the test must see.
    stop: () => backend.stop('SIGTERM', 2 ** 31 - 1),
  };
}
