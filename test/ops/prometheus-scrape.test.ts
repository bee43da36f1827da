// A real Prometheus (Debian's `prometheus` binary) scraping a running proxy's metrics listener every second on
// loopback: after N WebSocket sessions are opened through the proxy, Prometheus' own HTTP API answers
// ocpp_edge_ws_connections = N, and follows it down when sessions close. Proves the metric names, the text format
// and the scrape job shape of config/prometheus.yml work end to end, not just in a unit test of the registry.
//
// In CI (CI=true) a missing binary fails the test; elsewhere it is skipped with a message saying so.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type WebSocket from 'ws';
import { freePort } from '../support/ports.js';
import { startProxyUnderTest, type ProxyUnderTest } from '../support/proxy-under-test.js';
import { startTestUpstream, type TestUpstream } from '../support/test-upstream.js';
import { openWebSocket } from '../support/tls-clients.js';
import { findExecutable } from '../support/ops-tools.js';

const SESSIONS = 5;
const CLOSED = 2;

interface QueryAnswer {
  status: string;
  data: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

/** config/prometheus.yml's proxy job, pointed at the test's metrics port and scraped every second. */
function prometheusConfig(metricsPort: number): string {
  return [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: ocpp-edge-proxy',
    '    metrics_path: /metrics',
    '    static_configs:',
    `      - targets: ['127.0.0.1:${metricsPort}']`,
    '',
  ].join('\n');
}

describe('Prometheus scraping the proxy', { timeout: 60_000 }, () => {
  const binary = findExecutable('prometheus');
  let dir: string;
  let upstream: TestUpstream;
  let edge: ProxyUnderTest;
  let prometheus: ChildProcess | undefined;
  let output = '';
  let apiUrl: string;
  const sessions: WebSocket[] = [];

  before(async () => {
    if (!binary) return;
    dir = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-prometheus-'));
    upstream = await startTestUpstream();
    edge = await startProxyUnderTest({
      tls: 'self-signed',
      domain: ['localhost'],
      upstream: [upstream.url],
      'log-level': 'warn',
    });
    const configFile = path.join(dir, 'prometheus.yml');
    await writeFile(configFile, prometheusConfig(edge.proxy.metricsPort));
    const port = await freePort();
    apiUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      binary,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${path.join(dir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000));
    prometheus.stdout!.on('data', keep);
    prometheus.stderr!.on('data', keep);
  });

  after(async () => {
    for (const session of sessions) session.terminate();
    if (prometheus && prometheus.exitCode === null) {
      const exited = once(prometheus, 'exit');
      prometheus.kill('SIGTERM');
      const timer = setTimeout(() => prometheus?.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await edge?.close();
    await upstream?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The instant value of a PromQL query with one series, or undefined while there is none. */
  async function query(expression: string): Promise<number | undefined> {
    const response = await fetch(`${apiUrl}/api/v1/query?query=${encodeURIComponent(expression)}`);
    const answer = (await response.json()) as QueryAnswer;
    assert.equal(answer.status, 'success');
    if (answer.data.result.length === 0) return undefined;
    assert.equal(answer.data.result.length, 1, JSON.stringify(answer.data.result));
    return Number(answer.data.result[0]!.value[1]);
  }

  async function waitForValue(expression: string, expected: number, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: number | undefined;
    for (;;) {
      last = await query(expression).catch(() => undefined);
      if (last === expected) return;
      if (prometheus?.exitCode !== null) throw new Error(`prometheus exited (${prometheus?.exitCode}): ${output}`);
      if (Date.now() > deadline)
        throw new Error(
          `${expression} was ${last} after ${timeoutMs} ms, expected ${expected}; prometheus said:\n${output}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  test(`reads ocpp_edge_ws_connections = ${SESSIONS} back through Prometheus' HTTP API`, async (t) => {
    if (!binary) {
      const message = 'the prometheus binary is not installed (apt-get install prometheus; .ci/run installs it)';
      if (process.env.CI === 'true') assert.fail(`${message}; CI requires it`);
      t.skip(message);
      return;
    }
    // Prometheus is up and scrapes the proxy successfully.
    await waitForValue('up{job="ocpp-edge-proxy"}', 1);
    await waitForValue('ocpp_edge_ws_connections{job="ocpp-edge-proxy"}', 0);

    for (let index = 0; index < SESSIONS; index++)
      sessions.push(await openWebSocket(edge.proxy.httpsPort, `/ocpp/PROM-${index}`, 'ocpp1.6'));
    await waitForValue('ocpp_edge_ws_connections{job="ocpp-edge-proxy"}', SESSIONS);

    for (const session of sessions.splice(0, CLOSED)) session.close(1000);
    await waitForValue('ocpp_edge_ws_connections{job="ocpp-edge-proxy"}', SESSIONS - CLOSED);
  });
});
