// In a terminal a person reads human lines, never raw pino JSON; anywhere else (systemd, PM2, a pipe) a program
// reads JSON. Run on a real pseudo-terminal (util-linux `script`), so process.stdout.isTTY is what it is for a user.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { spawnOcppEdge } from '../support/cli.js';
import { freePorts } from '../support/ports.js';
import { runInTerminal } from '../support/pseudo-terminal.js';

describe('log lines for people in a terminal, JSON for programs', () => {
  let dir: string;
  let ports: number[];
  let file: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-pretty-'));
    ports = await freePorts(5);
    const [https_, http, proxyMetrics, backend, backendMetrics] = ports;
    file = path.join(dir, 'dev.yaml');
    await writeFile(
      file,
      [
        'proxy:',
        '  host: 127.0.0.1',
        `  https-port: ${https_}`,
        `  http-port: ${http}`,
        `  metrics-port: ${proxyMetrics}`,
        `  upstream: [http://127.0.0.1:${backend}]`,
        '  domain: [localhost]',
        '  tls: self-signed',
        `  data-dir: ${path.join(dir, 'data')}`,
        'backend:',
        `  port: ${backend}`,
        `  metrics-port: ${backendMetrics}`,
        `  proxy-status-url: [http://127.0.0.1:${proxyMetrics}]`,
        `  database: sqlite:${path.join(dir, 'ocpp.db')}`,
        '  api-token: [dev-token-42]',
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('`ocpp-edge dev` in a terminal: a banner with the URLs and the token, one human line per request', async () => {
    const [httpsPort, , proxyMetrics, backendPort, backendMetrics] = ports;
    const session = runInTerminal(['dev', '--config', file]);
    try {
      const banner = await session.waitFor(/Token {6}dev-token-42/, 60_000);
      assert.match(
        banner,
        new RegExp(
          `^ {2}Console {4}https://localhost:${httpsPort}/console/ +\\(trust .*/self-signed/localhost\\.crt`,
          'm',
        ),
      );
      assert.match(
        banner,
        new RegExp(
          `^ {2}REST API {3}https://localhost:${httpsPort}/api/ .*direct http://127\\.0\\.0\\.1:${backendPort}/api/`,
          'm',
        ),
      );
      assert.match(banner, new RegExp(`^ {2}OCPP {7}wss://localhost:${httpsPort}/ocpp/<charger id>`, 'm'));
      assert.match(
        banner,
        new RegExp(
          `^ {2}Metrics {4}http://127\\.0\\.0\\.1:${proxyMetrics}/metrics \\(proxy\\) +http://127\\.0\\.0\\.1:${backendMetrics}/metrics`,
          'm',
        ),
      );
      const status = await new Promise<number>((resolve, reject) =>
        https
          .get(
            {
              host: '127.0.0.1',
              port: httpsPort,
              path: '/api/charge-points',
              headers: { authorization: 'Bearer dev-token-42' },
              servername: 'localhost',
              rejectUnauthorized: false,
            },
            (response) => {
              response.resume();
              resolve(response.statusCode ?? 0);
            },
          )
          .on('error', reject),
      );
      assert.equal(status, 200);
      const text = await session.waitFor(/proxy: GET \/api\/charge-points 200 \d+ ms/);
      const lines = text.split('\n').filter((line) => line.trim() !== '');
      assert.deepEqual(
        lines.filter((line) => line.trimStart().startsWith('{')),
        [],
        'no JSON log line on a terminal',
      );
      const request = lines.filter((line) => line.includes('/api/charge-points'));
      assert.equal(request.length, 1, text);
      assert.match(
        request[0]!,
        /^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO: proxy: GET \/api\/charge-points 200 \d+ ms \(127\.0\.0\.1\)$/,
      );
      assert.match(text, /^\[[\d:.]+\] INFO: backend: starting backend \(.*dev\.yaml\)$/m);
    } finally {
      await session.stop();
    }
  });

  test('--log-format json keeps JSON in a terminal; without a terminal JSON is the default', async () => {
    const [, , , backendPort] = ports;
    const session = runInTerminal(['backend', '--config', file, '--log-format', 'json']);
    try {
      const text = await session.waitFor(/"msg":"backend listening"/);
      const line = text.split('\n').find((candidate) => candidate.includes('"msg":"backend listening"'))!;
      assert.equal(JSON.parse(line).port, backendPort);
    } finally {
      await session.stop();
    }
    // Through a pipe, as under systemd or PM2: JSON lines without being asked.
    const piped = spawnOcppEdge(['backend', '--config', file]);
    try {
      const line = await piped.logLine('backend listening', 30_000);
      assert.equal(line.port, backendPort);
    } finally {
      await piped.stop();
    }
  });
});
