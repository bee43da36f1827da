// The 10,000-charger boot storm from many loopback addresses against the proxy with every limit at its default:
// is it taken for an attack? The proxy runs as cluster workers (what PM2's cluster mode runs) in front of the
// bench's echo backend (it answers BootNotification; the storm is about the edge's limits, not the central
// system), and every charger opens its WebSocket and boots at once, from 127.0.0.2, 127.0.0.3, ... The verdict:
// how many connected and booted, every failure by kind, and each worker's refusal and ban counters.
//
//   node dist/bench/chaos/boot-storm.js [--chargers 10000] [--addresses 16] [--workers 2]
//
// Exits 1 when a charger was refused or banned. The bench (issue 22) measures the storm's times and costs.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { EPHEMERAL_PROXY_PORTS } from '../../test/support/proxy-process.js';
import { errorKind } from '../../tools/simulate/error-kind.js';
import { startEchoBackend } from '../backend-echo.js';
import { createBenchCertificates } from '../certificates.js';
import { startProcess, stopProcess } from '../child-process.js';

const CLUSTER_PROXY = fileURLToPath(new URL('../cluster-proxy.js', import.meta.url));
const TIMEOUT_MS = 240_000;

function log(line: string): void {
  process.stderr.write(`[storm ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** Opens the WebSocket and waits for the BootNotification's answer; resolves when booted (ms), rejects otherwise. */
function bootOne(url: string, localAddress: string, began: number): Promise<{ ws: WebSocket; bootedMs: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'ocpp1.6', {
      localAddress,
      rejectUnauthorized: false,
      handshakeTimeout: TIMEOUT_MS,
      perMessageDeflate: false,
    });
    const fail = (error: unknown) => {
      ws.terminate();
      reject(error);
    };
    ws.once('error', fail);
    ws.once('unexpected-response', (_request, response) => fail(new Error(`HTTP ${response.statusCode}`)));
    ws.once('close', () => fail(new Error('closed before the boot was answered')));
    ws.once('open', () => {
      ws.send(
        JSON.stringify([2, 'boot', 'BootNotification', { chargePointVendor: 'chaos', chargePointModel: 'storm' }]),
      );
      ws.once('message', () => {
        ws.removeAllListeners('close');
        ws.removeAllListeners('error');
        ws.on('error', () => {});
        resolve({ ws, bootedMs: performance.now() - began });
      });
    });
  });
}

/** Each worker's counters, told apart by process_start_time_seconds (the metrics port is shared). */
async function workerCounters(metricsUrl: string, workers: number): Promise<Map<string, Record<string, number>>> {
  const byWorker = new Map<string, Record<string, number>>();
  for (let attempt = 0; attempt < workers * 15 && byWorker.size < workers; attempt++) {
    const text = await fetch(metricsUrl).then((response) => response.text());
    const start = /^process_start_time_seconds (\S+)/m.exec(text)?.[1] ?? `attempt ${attempt}`;
    const counters: Record<string, number> = {};
    for (const match of text.matchAll(/^(ocpp_edge_(?:limit_refusals|bans)[a-z_]*)(\{[^}]*\})? (\S+)$/gm))
      counters[`${match[1]}${match[2] ?? ''}`] = Number(match[3]);
    byWorker.set(start, counters);
  }
  return byWorker;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      chargers: { type: 'string', default: '10000' },
      addresses: { type: 'string', default: '16' },
      workers: { type: 'string', default: '2' },
    },
  });
  const chargers = Number(values.chargers);
  const addresses = Array.from({ length: Number(values.addresses) }, (_, index) => `127.0.0.${index + 2}`);
  const workers = Number(values.workers);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-storm-'));
  const certificates = await createBenchCertificates(dir);
  const backend = await startEchoBackend();
  let listening = 0;
  const proxy = await startProcess(
    process.execPath,
    [
      CLUSTER_PROXY,
      String(workers),
      'proxy',
      ...EPHEMERAL_PROXY_PORTS,
      '--cert',
      certificates.certFile,
      '--key',
      certificates.keyFile,
      '--upstream',
      `http://127.0.0.1:${backend.port}`,
      '--data-dir',
      dir,
      '--log-level',
      'info',
    ],
    {
      isReady: (line) => line.msg === 'proxy listening' && ++listening === workers,
      env: { ...process.env, OCPP_EDGE_LOG_PRETTY: '0' },
      timeoutMs: 60_000,
    },
  );
  const url = `wss://127.0.0.1:${Number(proxy.ready.httpsPort)}/ocpp`;
  const metricsUrl = `http://127.0.0.1:${Number(proxy.ready.metricsPort)}/metrics`;
  log(`${chargers} chargers from ${addresses.length} addresses at once, proxy with ${workers} workers, default limits`);
  const began = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: chargers }, (_, index) =>
      bootOne(`${url}/STORM${String(index + 1).padStart(5, '0')}`, addresses[index % addresses.length]!, began),
    ),
  );
  const wallMs = performance.now() - began;
  const booted = results.filter((result) => result.status === 'fulfilled').map((result) => result.value);
  const failures: Record<string, number> = {};
  for (const result of results)
    if (result.status === 'rejected') {
      const kind = errorKind(result.reason);
      failures[kind] = (failures[kind] ?? 0) + 1;
    }
  const times = booted.map((entry) => entry.bootedMs).sort((a, b) => a - b);
  const percentile = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))] ?? 0;
  const counters = await workerCounters(metricsUrl, workers);
  for (const { ws } of booted) ws.terminate();
  await stopProcess(proxy.child, 20_000);
  await stopProcess(backend.process.child);
  await rm(dir, { recursive: true, force: true });

  const series = [...counters.values()].reduce((sum, entry) => sum + Object.keys(entry).length, 0);
  const refusals = [...counters.values()].flatMap((entry) =>
    Object.entries(entry).filter(([name, value]) => value > 0 && !name.includes('_active')),
  );
  process.stdout.write(
    [
      `${booted.length} of ${chargers} chargers booted from ${addresses.length} addresses through ${workers} workers in ${(wallMs / 1000).toFixed(1)} s (boot p50 ${(percentile(50) / 1000).toFixed(1)} s, p99 ${(percentile(99) / 1000).toFixed(1)} s)`,
      `failures: ${
        Object.entries(failures)
          .map(([kind, count]) => `${kind} ×${count}`)
          .join('; ') || 'none'
      }`,
      `refusal and ban counters above 0 (${series} series of ${counters.size} of ${workers} workers scraped): ${refusals.map(([name, value]) => `${name} ${value}`).join('; ') || 'none'}`,
      '',
    ].join('\n'),
  );
  return booted.length === chargers && refusals.length === 0 && series > 0 ? 0 : 1;
}

process.exitCode = await main();
