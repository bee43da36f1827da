// The stack's own processes as the chaos runner drives them: backends on fixed ports (a backend killed with -9
// comes back on the same port, where the proxy's pool expects it), the proxy spawned directly (SIGHUP) or under a
// private PM2 daemon (`pm2 reload`). Their log lines at level error and above are kept, to show which errors the
// fault caused ("SQLITE_FULL: database or disk is full").

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cleanEnvironment } from '../../test/support/cli.js';
import { freePorts } from '../../test/support/ports.js';
import { EPHEMERAL_PROXY_PORTS } from '../../test/support/proxy-process.js';
import { waitFor } from '../../test/support/waiting.js';
import { startProcess, stopProcess, type StartedProcess } from '../child-process.js';

const CLI = fileURLToPath(new URL('../../bin/ocpp-edge.js', import.meta.url));
const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const PM2 = path.join(REPO, 'node_modules', '.bin', 'pm2');
export const API_TOKEN = 'chaos-token-0123456789';
const pm2Run = promisify(execFile);

/** Error log lines (pino level ≥ 50) of every process, by their `msg`: what the faults made the stack say. */
export class ErrorLog {
  readonly counts = new Map<string, number>();

  line(text: string): void {
    if (!text.includes('"level":50') && !text.includes('"level":60')) return;
    try {
      const line = JSON.parse(text) as { name?: string; msg?: string; err?: { code?: string; message?: string } };
      const detail = [line.err?.code, line.err?.message?.slice(0, 60)].filter(Boolean).join(' ');
      const key = `${line.name ?? 'log'}: ${line.msg ?? '?'}${detail ? ` (${detail})` : ''}`;
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    } catch {
      // not a JSON line
    }
  }
}

export interface BackendProcess {
  port: number;
  url: string;
  /** Its private Prometheus listener. */
  metricsUrl: string;
  /** kill -9: nothing of it runs afterwards, no shutdown hook. */
  kill(): Promise<void>;
  /** Starts it again on the same port, with the same flags. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startBackend(flags: Record<string, string>, errors: ErrorLog): Promise<BackendProcess> {
  const [port, metricsPort] = await freePorts(2);
  const args = [
    CLI,
    'backend',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--metrics-port',
    String(metricsPort),
    '--api-token',
    API_TOKEN,
    '--log-level',
    'info',
  ];
  for (const [key, value] of Object.entries(flags)) args.push(`--${key}`, value);
  let current: StartedProcess | undefined;
  const start = async () => {
    current = await startProcess(process.execPath, args, {
      isReady: (line) => line.msg === 'backend listening',
      onLine: (text) => errors.line(text),
      env: cleanEnvironment({ OCPP_EDGE_LOG_PRETTY: '0' }),
      // A backend starting beside a loaded stack on a busy 2-core machine can take tens of seconds.
      timeoutMs: 120_000,
    });
  };
  await start();
  return {
    port: port!,
    url: `http://127.0.0.1:${port}`,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    async kill() {
      const child = current?.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
    start,
    stop: async () => {
      if (current) await stopProcess(current.child, 10_000);
    },
  };
}

/** Creates `count` id tags, Accepted, through the REST API (the chargers' idTags are their ids). */
export async function acceptIdTags(backendUrl: string, idTags: readonly string[]): Promise<void> {
  const queue = [...idTags];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let tag = queue.shift(); tag !== undefined; tag = queue.shift()) {
        const response = await fetch(`${backendUrl}/api/id-tags/${encodeURIComponent(tag)}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ status: 'Accepted' }),
        });
        await response.text();
        if (!response.ok) throw new Error(`PUT /api/id-tags/${tag}: ${response.status}`);
      }
    }),
  );
}

export interface ProxyProcess {
  /** wss://127.0.0.1:PORT/ocpp */
  ocppUrl: string;
  metricsUrl: string;
  /** SIGHUP, resolves once it logged the reload. */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

/** `ocpp-edge proxy` in front of `upstreams`, self-signed TLS for localhost. */
export async function startProxy(upstreams: readonly string[], errors: ErrorLog): Promise<ProxyProcess> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-chaos-proxy-'));
  const args = [CLI, 'proxy', ...EPHEMERAL_PROXY_PORTS, '--tls', 'self-signed', '--domain', 'localhost'];
  args.push('--data-dir', dataDir, '--log-level', 'info', '--health-interval', '1');
  for (const upstream of upstreams) args.push('--upstream', upstream);
  let reloaded: (() => void) | undefined;
  const proxy = await startProcess(process.execPath, args, {
    isReady: (line) => line.msg === 'proxy listening',
    onLine: (text) => {
      if (reloaded && text.includes('"msg":"reloaded"')) reloaded();
      errors.line(text);
    },
    env: cleanEnvironment({ OCPP_EDGE_LOG_PRETTY: '0' }),
    timeoutMs: 120_000,
  });
  return {
    ocppUrl: `wss://127.0.0.1:${Number(proxy.ready.httpsPort)}/ocpp`,
    metricsUrl: `http://127.0.0.1:${Number(proxy.ready.metricsPort)}/metrics`,
    async reload() {
      const done = new Promise<void>((resolve) => (reloaded = resolve));
      proxy.child.kill('SIGHUP');
      await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error('no reload')), 15_000))]);
      reloaded = undefined;
    },
    async stop() {
      await stopProcess(proxy.child, 20_000);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Pm2Proxy {
  ocppUrl: string;
  /** `pm2 reload ocpp-edge-proxy`: the new proxy first, then the old one drains. */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The repository's ecosystem.config.cjs proxy app under a private PM2 daemon (its own PM2_HOME), cluster mode as
 * in production, moved to free ports and a temporary data dir, forwarding to `upstream`.
 */
export async function startPm2Proxy(upstream: string): Promise<Pm2Proxy> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-chaos-pm2-'));
  const home = path.join(dir, 'pm2-home');
  const [https, http, metrics] = await freePorts(3);
  const overrides = {
    OCPP_EDGE_PROXY_HTTPS_PORT: String(https),
    OCPP_EDGE_PROXY_HTTP_PORT: String(http),
    OCPP_EDGE_PROXY_METRICS_PORT: String(metrics),
    OCPP_EDGE_PROXY_HOST: '127.0.0.1',
    OCPP_EDGE_PROXY_UPSTREAMS: upstream,
    OCPP_EDGE_PROXY_DATA_DIR: path.join(dir, 'data'),
    OCPP_EDGE_PROXY_TLS_TICKET_KEYS: path.join(dir, 'data', 'tls-ticket-keys'),
    OCPP_EDGE_LOG_LEVEL: 'warn',
  };
  const file = path.join(dir, 'chaos.config.cjs');
  await writeFile(
    file,
    `'use strict';
const ecosystem = require(${JSON.stringify(path.join(REPO, 'ecosystem.config.cjs'))});
module.exports = {
  apps: ecosystem.apps.filter((app) => app.name === 'ocpp-edge-proxy').map((app) => ({
    ...app,
    out_file: ${JSON.stringify(path.join(dir, 'proxy.out.log'))},
    error_file: ${JSON.stringify(path.join(dir, 'proxy.err.log'))},
    env_development: { ...app.env_development, ...${JSON.stringify(overrides)} },
  })),
};
`,
  );
  const pm2 = (args: string[]) =>
    pm2Run(PM2, args, { cwd: REPO, env: { ...cleanEnvironment(), PM2_HOME: home }, timeout: 60_000 });
  await pm2(['start', file, '--env', 'development']);
  await waitFor(
    'the PM2 proxy to listen',
    async () => {
      const response = await fetch(`http://127.0.0.1:${metrics}/metrics`).catch(() => undefined);
      return response?.ok ?? false;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  return {
    ocppUrl: `wss://127.0.0.1:${https}/ocpp`,
    reload: async () => void (await pm2(['reload', 'ocpp-edge-proxy'])),
    async stop() {
      await pm2(['kill']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
