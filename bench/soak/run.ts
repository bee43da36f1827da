// `npm run soak`: the plan's 24-hour stability test in small. N chargers (default 2,000) run transactions for M
// minutes (default 30) through the proxy and a backend (SQLite), with a reconnect wave every few minutes (a Reset
// sent to a share of the chargers through the REST API: each reboots, reconnects and boots again) and one backend
// restart at a quarter of the run. Every 10 s the proxy and the backend are sampled (process-sample.ts); at the
// end each quantity gets a verdict (trend.ts, thresholds.ts) and the samples a plot (svg-plot.ts).
//
//   npm run soak                                   2,000 chargers, 30 minutes
//   npm run soak -- --chargers 500 --minutes 12 --write
//                                                  the figures into docs/RELIABILITY.md, the plot to docs/soak.svg
//
// Exits 1 when a quantity grows without bound or the fleet lost its connections.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { runSimulation } from '../../tools/simulate/fleet.js';
import { SimulationStats } from '../../tools/simulate/stats.js';
import { chaosChargerIds, ID_PREFIX } from '../chaos/scenario-run.js';
import { acceptIdTags, API_TOKEN, ErrorLog, startBackend, startProxy } from '../chaos/processes.js';
import { sampleProcess, type ProcessSample } from './process-sample.js';
import { renderSvg, type Panel } from './svg-plot.js';
import { QUANTITIES } from './thresholds.js';
import { growthVerdict, type Verdict } from './trend.js';

const DOCS = fileURLToPath(new URL('../../../docs/', import.meta.url));
const BEGIN = '<!-- soak:begin (written by npm run soak -- --write; edits inside are overwritten) -->';
const END = '<!-- soak:end -->';

function log(line: string): void {
  process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

interface Timed {
  t: number;
  sample: ProcessSample;
  /** Chargers connected when the sample was taken. */
  connected?: number;
}

export interface SoakVerdict {
  process: string;
  quantity: string;
  verdict: Verdict;
  format(value: number): string;
}

/** Each sampled process's quantities judged over the second half of the run. */
export function judge(samples: ReadonlyMap<string, readonly Timed[]>): SoakVerdict[] {
  const verdicts: SoakVerdict[] = [];
  for (const [name, timed] of samples)
    for (const quantity of QUANTITIES) {
      const points = timed
        .map(({ t, sample, connected }) => ({ t, value: sample[quantity.key], load: connected }))
        .filter((point) => Number.isFinite(point.value));
      verdicts.push({
        process: name,
        quantity: quantity.title,
        verdict: growthVerdict(points, quantity.threshold),
        format: quantity.format,
      });
    }
  return verdicts;
}

export function plot(title: string, samples: ReadonlyMap<string, readonly Timed[]>): string {
  const panels: Panel[] = QUANTITIES.map((quantity) => ({
    title: quantity.title,
    format: quantity.format,
    series: [...samples].map(([name, timed]) => ({
      label: name,
      points: timed
        .map(({ t, sample }) => ({ t, value: sample[quantity.key] }))
        .filter((point) => Number.isFinite(point.value)),
    })),
  }));
  const proxy = samples.get('proxy') ?? [];
  panels.push({
    title: 'chargers connected',
    format: (value) => value.toFixed(0),
    series: [
      {
        label: 'chargers',
        points: proxy.flatMap(({ t, connected }) => (connected === undefined ? [] : [{ t, value: connected }])),
      },
    ],
  });
  return renderSvg(title, panels);
}

export function verdictLines(verdicts: readonly SoakVerdict[]): string[] {
  return verdicts.map(({ process, quantity, verdict, format }) => {
    const perMinute = verdict.slope * 60;
    return `| ${process} | ${quantity} | ${format(verdict.mean)} | ${perMinute >= 0 ? '+' : '−'}${format(Math.abs(perMinute))}/min | ${verdict.rise >= 0 ? '+' : '−'}${format(Math.abs(verdict.rise))} | ${format(verdict.allowed)} | ${verdict.grows ? '**grows**' : 'flat'} |`;
  });
}

async function resetWave(apiUrl: string, ids: readonly string[]): Promise<number> {
  const queue = [...ids];
  let accepted = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        const response = await fetch(`${apiUrl}/api/charge-points/${id}/reset`, {
          method: 'POST',
          headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'Soft' }),
        }).catch(() => undefined);
        await response?.text();
        if (response?.ok) accepted++;
      }
    }),
  );
  return accepted;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      chargers: { type: 'string', default: '2000' },
      minutes: { type: 'string', default: '30' },
      'wave-every': { type: 'string', default: '5' },
      'wave-share': { type: 'string', default: '0.5' },
      'sample-every': { type: 'string', default: '10' },
      write: { type: 'boolean', default: false },
    },
  });
  const chargers = Number(values.chargers);
  const minutes = Number(values.minutes);
  const waveEveryMs = Number(values['wave-every']) * 60_000;
  const waveShare = Number(values['wave-share']);
  const sampleEveryMs = Number(values['sample-every']) * 1000;
  if (!(Number.isInteger(chargers) && chargers >= 1 && chargers <= 20_000)) throw new Error('--chargers: 1 to 20000');
  if (!(minutes > 0 && minutes <= 24 * 60)) throw new Error('--minutes: above 0, at most 1440');

  const dir = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-soak-'));
  const errors = new ErrorLog();
  const backend = await startBackend({ database: `sqlite:${path.join(dir, 'ocpp.db')}` }, errors);
  const proxy = await startProxy([backend.url], errors);
  const ids = chaosChargerIds(chargers);
  await acceptIdTags(backend.url, ids);
  const startedAt = new Date();
  const began = performance.now();
  const elapsed = () => (performance.now() - began) / 1000;
  const samples = new Map<string, Timed[]>([
    ['proxy', []],
    ['backend', []],
  ]);
  const stats = new SimulationStats();
  let running = true;
  const sampler = (async () => {
    while (running) {
      const t = elapsed();
      for (const [name, url] of [
        ['proxy', proxy.metricsUrl],
        ['backend', backend.metricsUrl],
      ] as const) {
        // The backend is down for a moment at its restart: that sample is skipped, not a failure.
        const sample = await sampleProcess(url).catch(() => undefined);
        if (sample) samples.get(name)!.push({ t, sample, connected: stats.connected });
      }
      await sleep(sampleEveryMs - ((performance.now() - began) % sampleEveryMs));
    }
  })();
  log(
    `${chargers} chargers for ${minutes} min; a wave of ${Math.round(waveShare * 100)} % every ${waveEveryMs / 60_000} min; backend restart at ${minutes / 4} min`,
  );
  const simulation = runSimulation(
    {
      url: proxy.ocppUrl,
      chargers,
      ramp: Math.max(20, chargers / 30),
      duration: minutes * 60,
      insecure: true,
      idPrefix: ID_PREFIX,
      transactions: true,
      transactionDuration: 60,
      transactionPause: 30,
      meterInterval: 30,
      backoffMax: 30,
    },
    { stats },
  );
  const events = (async () => {
    let nextWave = waveEveryMs;
    let restarted = false;
    let wave = 0;
    while (elapsed() * 1000 < minutes * 60_000 - 30_000) {
      await sleep(1000);
      if (!restarted && elapsed() >= (minutes * 60) / 4) {
        restarted = true;
        log('backend restart (SIGTERM, start again)');
        await backend.stop();
        await backend.start();
        log('backend running again');
      }
      if (elapsed() * 1000 >= nextWave) {
        nextWave += waveEveryMs;
        const share = ids.filter((_, index) => (index + wave) % Math.round(1 / waveShare) === 0);
        wave++;
        const accepted = await resetWave(backend.url, share);
        log(`reconnect wave ${wave}: Reset accepted by ${accepted} of ${share.length}`);
      }
    }
  })();
  const report = await simulation;
  await events;
  running = false;
  await sampler;
  await proxy.stop();
  await backend.stop();
  await rm(dir, { recursive: true, force: true });

  const verdicts = judge(samples);
  const grows = verdicts.filter((entry) => entry.verdict.grows);
  const header = [
    '| process | quantity | mean, 2nd half | slope | fitted rise, 2nd half | allowed | verdict |',
    '|---|---|---|---|---|---|---|',
  ];
  const summary = `${chargers} chargers, ${minutes} min, ${samples.get('proxy')!.length} samples of each process; ${report.transactions.started} transactions started, ${report.transactions.stopped} stopped; ${stats.reconnects} reconnects (${stats.serverRestarts} after a server going away), connected at the end ${report.chargers.connectedAtEnd} of ${chargers}`;
  process.stdout.write(`\n${summary}\n\n${[...header, ...verdictLines(verdicts)].join('\n')}\n`);
  const errorKinds = Object.entries(Object.fromEntries(stats.errors)).sort((a, b) => b[1] - a[1]);
  if (errorKinds.length > 0)
    process.stdout.write(
      `\nerrors: ${errorKinds
        .slice(0, 6)
        .map(([kind, count]) => `${kind} ×${count}`)
        .join('; ')}\n`,
    );
  if (values.write) {
    const svg = plot(
      `ocpp-edge soak: ${chargers} chargers, ${minutes} min (${startedAt.toISOString().slice(0, 10)})`,
      samples,
    );
    await writeFile(path.join(DOCS, 'soak.svg'), svg);
    const block = [
      BEGIN,
      '',
      `Run of ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${os.cpus().length} cores, Node ${process.version}: ${summary}.`,
      '',
      ...header,
      ...verdictLines(verdicts),
      '',
      '![soak samples](soak.svg)',
      '',
      END,
    ].join('\n');
    const file = path.join(DOCS, 'RELIABILITY.md');
    const text = await readFile(file, 'utf8');
    const begin = text.indexOf(BEGIN);
    const end = text.indexOf(END);
    if (begin === -1 || end === -1) throw new Error('docs/RELIABILITY.md has no soak markers');
    await writeFile(file, text.slice(0, begin) + block + text.slice(end + END.length));
    log('wrote docs/RELIABILITY.md and docs/soak.svg');
  }
  // A soak whose chargers could not stay connected proved nothing about the processes' growth.
  const disconnected = report.chargers.connectedAtEnd < chargers * 0.95;
  if (disconnected)
    process.stdout.write(`FAILED: only ${report.chargers.connectedAtEnd} of ${chargers} connected at the end\n`);
  for (const entry of grows) process.stdout.write(`FAILED: ${entry.process} ${entry.quantity} grows\n`);
  return grows.length > 0 || disconnected ? 1 : 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = await main();
