// The simulation engine: N chargers started at --ramp per second, run for --duration seconds, then stopped, and a
// report of what was measured. Usable in-process (the benchmark drives it) as well as from `ocpp-edge simulate`:
//
//   const report = await runSimulation({ url: 'wss://edge.example/ocpp', chargers: 1000, ramp: 100, duration: 60 },
//     { onProgress: (snapshot) => ..., signal });
//
// Bounded in count (simulateOptions caps --chargers) and in time: the run ends at --duration or when `signal`
// aborts, whichever comes first, and every charger is then closed (in-flight calls get a short grace period).

import { performance } from 'node:perf_hooks';
import pino from 'pino';
import type { Logger } from '../../common/logger.js';
import { chargerCredentials, type ChargerCredentials } from './security-profile.js';
import { SimulatedCharger, type ChargerSettings } from './charger.js';
import { OcppVersionSequence, parseOcppMix } from './ocpp-mix.js';
import { simulationOptions, type SimulationOptions } from './options.js';
import { buildReport, type SimulationReport } from './report.js';
import { SimulationStats, type ProgressSnapshot } from './stats.js';
import { parseQuirks } from './quirks.js';

export interface SimulationHooks {
  /** Called every progressIntervalMs with the live counters. */
  onProgress?: (snapshot: ProgressSnapshot) => void;
  progressIntervalMs?: number;
  /** Ends the run early (Ctrl-C); the report covers what was measured until then. */
  signal?: AbortSignal;
  /** The counters to write to, for a caller that reads them live (the chaos runner); fresh ones when not given. */
  stats?: SimulationStats;
  /** Per-charger events at debug level; silent when not given. */
  logger?: Logger;
}

export async function runSimulation(
  input: Partial<SimulationOptions>,
  hooks: SimulationHooks = {},
): Promise<SimulationReport> {
  const options = simulationOptions(input);
  const logger = hooks.logger ?? pino({ level: 'silent' });
  const stats = hooks.stats ?? new SimulationStats();
  const base = chargerBase(options);
  const idWidth = Math.max(5, String(options.chargers).length);
  const chargers: SimulatedCharger[] = [];
  const versions = new OcppVersionSequence(parseOcppMix(options.ocpp));
  const startedAt = new Date();
  const began = performance.now();

  const startDue = () => {
    // Started so far should be what the ramp allows by now; the first charger starts at once.
    const due = Math.min(options.chargers, Math.floor(((performance.now() - began) / 1000) * options.ramp) + 1);
    while (chargers.length < due) {
      const identity = `${options.idPrefix}${String(chargers.length + 1).padStart(idWidth, '0')}`;
      const { credentials, ...settings } = base;
      const charger = new SimulatedCharger(
        {
          ...settings,
          identity,
          ocppVersion: versions.next(),
          idTag: options.idTag ?? identity.slice(0, 20),
          secureContext: credentials.secureContext(identity),
        },
        stats,
        logger,
      );
      chargers.push(charger);
      charger.start();
    }
  };

  const interrupted = await new Promise<boolean>((resolve) => {
    // Ticks at the ramp's pace, but at least every 100 ms and at most every 5 ms (high ramps start a batch per tick).
    const rampTimer = setInterval(
      () => {
        startDue();
        if (chargers.length >= options.chargers) clearInterval(rampTimer);
      },
      Math.min(100, Math.max(5, 1000 / options.ramp)),
    );
    const progressTimer = hooks.onProgress
      ? setInterval(() => hooks.onProgress!(stats.snapshot()), hooks.progressIntervalMs ?? 1000)
      : undefined;
    const end = (early: boolean) => {
      clearInterval(rampTimer);
      clearInterval(progressTimer);
      clearTimeout(deadline);
      hooks.signal?.removeEventListener('abort', onAbort);
      resolve(early);
    };
    const onAbort = () => end(true);
    const deadline = setTimeout(() => end(false), options.duration * 1000);
    if (hooks.signal?.aborted) end(true);
    else hooks.signal?.addEventListener('abort', onAbort, { once: true });
    startDue();
  });

  const runMs = performance.now() - began;
  const atEnd = { connected: stats.connected, booted: stats.booted };
  // The last progress line shows the run as it ended, not the chargers being shut down.
  hooks.onProgress?.(stats.snapshot());
  await Promise.all(chargers.map((charger) => charger.stop()));
  return buildReport({ options, stats, startedAt, runMs, atEnd, interrupted });
}

/** The settings every charger shares, built once (the CA and certificate files are read once, not per charger). */
function chargerBase(options: SimulationOptions): Omit<
  ChargerSettings,
  'identity' | 'idTag' | 'secureContext' | 'ocppVersion'
> & {
  credentials: ChargerCredentials;
} {
  const credentials = chargerCredentials(options);
  return {
    endpoint: options.url.replace(/\/+$/, ''),
    password: credentials.password,
    credentials,
    rejectUnauthorized: !options.insecure,
    securityProfile: options.securityProfile,
    heartbeatOverrideSec: options.heartbeat,
    runTransactions: options.transactions,
    meterIntervalSec: options.meterInterval,
    transactionDurationSec: options.transactionDuration,
    transactionPauseSec: options.transactionPause,
    callTimeoutMs: options.callTimeout * 1000,
    pingIntervalSec: options.pingInterval,
    quirks: parseQuirks(options.quirks),
    backoff: {
      initialMs: options.backoffInitial * 1000,
      maxMs: Math.max(options.backoffInitial, options.backoffMax) * 1000,
    },
  };
}
