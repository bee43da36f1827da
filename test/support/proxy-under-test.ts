// Starts the proxy in this process the way the CLI would (loadConfig + startProxy), on ephemeral ports, with a
// temporary data dir and a logger whose JSON lines the test can read.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../common/config.js';
import { createLogger } from '../../common/logger.js';
import { proxyOptions, type ProxyConfig } from '../../proxy/options.js';
import { startProxy, type ProxyHandle } from '../../proxy/server.js';

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export class LogCapture extends Writable {
  readonly lines: LogLine[] = [];

  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const text of chunk.toString().split('\n'))
      if (text.trim() !== '') this.lines.push(JSON.parse(text) as LogLine);
    done();
  }

  matching(predicate: (line: LogLine) => boolean): LogLine[] {
    return this.lines.filter(predicate);
  }

  accessLines(): LogLine[] {
    return this.matching((line) => line.log === 'access');
  }
}

export interface ProxyUnderTest {
  proxy: ProxyHandle;
  config: ProxyConfig;
  logs: LogCapture;
  dataDir: string;
  /** Stops the proxy and removes the data dir. */
  close(): Promise<void>;
}

/** Flags as on the command line (kebab-case); ports default to 0 and hosts to 127.0.0.1. */
export function proxyConfig(flags: Record<string, unknown>, dataDir: string): ProxyConfig {
  return loadConfig(proxyOptions, {
    flags: {
      host: '127.0.0.1',
      'https-port': 0,
      'http-port': 0,
      'metrics-host': '127.0.0.1',
      'metrics-port': 0,
      'data-dir': dataDir,
      ...flags,
    },
    section: 'proxy',
    env: {},
  });
}

export async function makeTempDir(prefix = 'ocpp-edge-proxy-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function startProxyUnderTest(
  flags: Record<string, unknown>,
  options: { dataDir?: string } = {},
): Promise<ProxyUnderTest> {
  const dataDir = options.dataDir ?? (await makeTempDir());
  const logs = new LogCapture();
  const logger = createLogger({ level: 'info', name: 'proxy', destination: logs });
  const config = proxyConfig(flags, dataDir);
  let proxy: ProxyHandle;
  try {
    proxy = await startProxy(config, logger);
  } catch (error) {
    if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    proxy,
    config,
    logs,
    dataDir,
    async close() {
      await proxy.stop();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The value of the sample `name` whose labels include `labels` (label order does not matter), if any. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([label, value]) => `${label}="${value}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = (match[2] ?? '').split(',');
    if (wanted.every((pair) => present.includes(pair))) return Number(match[3]);
  }
  return undefined;
}

export async function scrapeMetrics(proxy: ProxyHandle): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${proxy.metricsPort}/metrics`);
  return response.text();
}
