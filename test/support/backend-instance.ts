// Starts the backend in-process on port 0, as `ocpp-edge backend` would with the given flags, and gives tests a
// small REST client for it.

import { backendOptions } from '../../backend/options.js';
import type { TestContext } from 'node:test';
import { startBackend, type BackendHandle } from '../../backend/server.js';
import { loadConfig } from '../../common/config.js';
import { createLogger } from '../../common/logger.js';
import { createStorage, type StorageTarget } from './storage-targets.js';

export const API_TOKEN = 'test-token-0123456789';

export interface TestBackend {
  handle: BackendHandle;
  httpUrl: string;
  /** ws://127.0.0.1:PORT/ocpp */
  ocppUrl: string;
  api(method: string, path: string, body?: unknown, token?: string | null): Promise<ApiResponse>;
  /** The Prometheus text of the private metrics listener. */
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

export interface ApiResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: the JSON of whichever route answered; each test reads the fields it asserts
  body: any;
  headers: Headers;
}

export interface TestBackendOptions {
  /** Collects the backend's log lines (parsed JSON) instead of discarding them. */
  logLines?: Array<Record<string, unknown>>;
}

/** flags: kebab-case flags as on the command line; database is required (see storage-targets.ts). */
export async function startTestBackend(
  flags: Record<string, unknown> & { database: string },
  options: TestBackendOptions = {},
): Promise<TestBackend> {
  const config = loadConfig(backendOptions, {
    flags: { host: '127.0.0.1', port: 0, 'metrics-port': 0, 'api-token': [API_TOKEN], 'log-level': 'silent', ...flags },
    section: 'backend',
    env: {},
  });
  // TEST_LOG_LEVEL=debug shows every OCPP frame while debugging a test.
  const lines = options.logLines;
  const destination = lines && {
    write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
  };
  const logger = createLogger({
    level: process.env.TEST_LOG_LEVEL ?? config.logLevel,
    name: 'backend',
    pretty: false,
    destination,
  });
  const handle = await startBackend(config, logger);
  const httpUrl = `http://127.0.0.1:${handle.port}`;
  return {
    handle,
    httpUrl,
    ocppUrl: `ws://127.0.0.1:${handle.port}/ocpp`,
    async api(method, path, body, token = API_TOKEN) {
      const headers: Record<string, string> = {};
      if (token !== null) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${httpUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        // not JSON (metrics, docs): keep the text
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
    async metrics() {
      const response = await fetch(`http://127.0.0.1:${handle.metricsPort}/metrics`);
      if (response.status !== 200) throw new Error(`metrics listener answered ${response.status}`);
      return response.text();
    },
    stop: () => handle.stop(),
  };
}

/** Runs body against a fresh backend on a fresh database of the dialect; skips when PostgreSQL is missing (fails in CI). */
export async function withBackend(
  t: TestContext,
  dialect: StorageTarget['name'],
  flags: Record<string, unknown>,
  body: (backend: TestBackend, storage: StorageTarget) => Promise<void>,
): Promise<void> {
  const storage = await createStorage(dialect, t);
  if (!storage) return;
  const backend = await startTestBackend({ database: storage.url, ...flags });
  try {
    await body(backend, storage);
  } finally {
    await backend.stop();
    await storage.cleanup();
  }
}
