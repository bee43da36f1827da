// One scenario from start to verdict: its stack up, the chargers' id tags accepted, the simulated fleet running
// transactions through the proxy, the fault injected while they run, then every acknowledged start and stop looked
// up in the database (ledger.ts) and the row of the table filled in.

import { setTimeout as sleep } from 'node:timers/promises';
import { runSimulation } from '../../tools/simulate/fleet.js';
import type { SimulationOptions } from '../../tools/simulate/options.js';
import { SimulationStats } from '../../tools/simulate/stats.js';
import { TransactionLedger } from './ledger.js';
import { acceptIdTags, ErrorLog } from './processes.js';
import { readTransactions } from './stored-transactions.js';
import type { ScenarioResult } from './table.js';

/** What a scenario starts and how it breaks it. */
export interface ScenarioStack {
  /** Where the chargers connect (the proxy), ws:// or wss://. */
  ocppUrl: string;
  /** A backend's REST API (to accept the id tags). */
  apiUrl: string;
  /** The database the backends write, as their --database. */
  databaseUrl: string;
  /** The fault, and the recovery; returns notes for the table. */
  inject(log: (line: string) => void): Promise<string[]>;
  /** Checks once the chargers are gone and before the stack stops (integrity_check); returns notes. */
  afterRun?(): Promise<string[]>;
  stop(): Promise<void>;
}

export interface Scenario {
  /** For --scenarios: backend-kill-pool, postgres-restart... */
  key: string;
  name: string;
  /** What it does, one line (for --help and the docs). */
  description: string;
  /** Chargers when --chargers is not given. */
  chargers: number;
  /** Seconds the fleet runs; the fault comes at faultAtSec. */
  durationSec: number;
  faultAtSec: number;
  start(context: { errors: ErrorLog; index: number }): Promise<ScenarioStack>;
}

export interface RunSettings {
  chargers?: number;
  /** Simulator options on top of the runner's (--fleet): e.g. a mixed protocol fleet. */
  fleet?: Partial<SimulationOptions>;
  /** Scales every scenario's duration and fault time (a quick check of the runner itself). */
  timeScale?: number;
  log(line: string): void;
  /** Called after the run and before the accounting (the accounting test deletes a row here). */
  beforeAccounting?(databaseUrl: string, ledger: TransactionLedger): Promise<void>;
}

export const ID_PREFIX = 'CHAOS';
/** Chargers started per second. */
const RAMP_PER_SECOND = 25;
/** Seconds after the last charger started before the fault may come. */
const BOOT_MARGIN_SEC = 10;

/** The charger ids the simulator gives `count` chargers with prefix ID_PREFIX (fleet.ts's numbering). */
export function chaosChargerIds(count: number): string[] {
  const width = Math.max(5, String(count).length);
  return Array.from({ length: count }, (_, index) => `${ID_PREFIX}${String(index + 1).padStart(width, '0')}`);
}

export async function runScenario(scenario: Scenario, index: number, settings: RunSettings): Promise<ScenarioResult> {
  const chargers = settings.chargers ?? scenario.chargers;
  const scale = settings.timeScale ?? 1;
  const errors = new ErrorLog();
  const { log } = settings;
  log(`${scenario.name}: starting the stack`);
  const stack = await scenario.start({ errors, index });
  try {
    await acceptIdTags(stack.apiUrl, chaosChargerIds(chargers));
    const stats = new SimulationStats();
    const ledger = new TransactionLedger();
    stats.onTransaction = (ack) => ledger.record(ack);
    // The fault comes once every charger has started and had time to boot: the ramp is slow enough for this busy
    // machine to take the boot storm, and a longer ramp moves the fault (and the end) later.
    const ramp = Math.min(RAMP_PER_SECOND, chargers);
    const shiftSec = Math.max(0, chargers / ramp + BOOT_MARGIN_SEC - scenario.faultAtSec * scale);
    const faultAtSec = scenario.faultAtSec * scale + shiftSec;
    const durationSec = Math.max(5, Math.round(scenario.durationSec * scale + shiftSec));
    log(`${scenario.name}: ${chargers} chargers for ${durationSec} s, the fault at ${Math.round(faultAtSec)} s`);
    const simulation = runSimulation(
      {
        url: stack.ocppUrl,
        chargers,
        ramp,
        duration: durationSec,
        insecure: true,
        idPrefix: ID_PREFIX,
        transactions: true,
        transactionDuration: 8,
        transactionPause: 2,
        meterInterval: 3,
        callTimeout: 15,
        backoffInitial: 1,
        backoffMax: 10,
        ...settings.fleet,
      },
      { stats },
    );
    const fault = (async () => {
      await sleep(faultAtSec * 1000);
      return stack.inject(log);
    })();
    const [report, faultNotes] = await Promise.all([simulation, fault]);
    log(
      `${scenario.name}: run over (${report.transactions.started} started, ${report.transactions.stopped} stopped); reading the database`,
    );
    const afterNotes = (await stack.afterRun?.()) ?? [];
    await settings.beforeAccounting?.(stack.databaseUrl, ledger);
    const accounting = ledger.account(
      await readTransactions(stack.databaseUrl, ledger.transactionIds(), ledger.chargerTransactionIds()),
    );
    for (const lost of accounting.lostExamples) log(`${scenario.name}: LOST ${lost}`);
    const stackErrors = Object.fromEntries([...errors.counts].map(([kind, count]) => [`log ${kind}`, count]));
    return {
      scenario: scenario.name,
      chargers,
      startsSent: stats.action('StartTransaction').sent,
      accounting,
      reconnects: {
        count: stats.reconnectTime.summary().count,
        p50: stats.reconnectTime.percentileMs(50),
        p99: stats.reconnectTime.percentileMs(99),
      },
      errors: { ...Object.fromEntries(stats.errors), ...stackErrors },
      notes: [...faultNotes, ...afterNotes],
    };
  } finally {
    await stack.stop();
  }
}
