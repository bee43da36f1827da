// The final report of a simulation: a plain object (what --json prints and what the benchmark reads) and its
// rendering as a table for people. Latencies are in milliseconds.

import { redactUrlPassword } from '../../common/config.js';
import type { LatencySummary } from '../../common/latency-histogram.js';
import type { SimulationOptions } from './options.js';
import type { SimulationStats } from './stats.js';

export interface SimulationReport {
  /**
   * The exit-code rule: at least one charger had its BootNotification accepted, and what was asked for happened
   * (with --transactions: at least one transaction started).
   */
  ok: boolean;
  /** Why ok is false, one sentence each with what to do. */
  failures: string[];
  startedAt: string;
  /** Length of the run until the chargers were stopped, seconds. */
  durationSec: number;
  /** Ended early by a signal (Ctrl-C) rather than by --duration. */
  interrupted: boolean;
  settings: {
    url: string;
    chargers: number;
    ramp: number;
    duration: number;
    transactions: boolean;
    heartbeat: number | null;
    idPrefix: string;
    /** --ocpp as given: the version, or the mix, of the fleet. */
    ocpp: string;
  };
  chargers: {
    started: number;
    /** Connected, and accepted, at least once during the run. */
    connected: number;
    booted: number;
    /** Connected, and connected with an accepted boot, when the run ended. */
    connectedAtEnd: number;
    bootedAtEnd: number;
  };
  /** Attempt start to WebSocket open, every successful connection (reconnects included). */
  connectMs: LatencySummary;
  /** Charger start to its first accepted BootNotification, once per charger. */
  bootMs: LatencySummary;
  /** Calls made by the chargers, by action; rttMs covers the answered ones. */
  calls: Record<string, { sent: number; ok: number; failed: number; rttMs: LatencySummary }>;
  /** Calls from the central system the chargers answered, by action. */
  answered: Record<string, number>;
  /** BootNotification/Authorize/StartTransaction answers other than Accepted. */
  refusals: Record<string, number>;
  /** Failures by "<where>: <kind>". */
  errors: Record<string, number>;
  reconnects: number;
  connectionsLost: number;
  /** Closed by the server as planned (1001 going away, 1012 service restart): not errors. */
  serverRestarts: number;
  transactions: { started: number; stopped: number };
  /** The same counts by OCPP version (each charger speaks one). */
  versions: Record<
    string,
    { chargers: number; connected: number; booted: number; transactions: { started: number; stopped: number } }
  >;
  messages: { sent: number; received: number; perSecond: number };
}

export interface ReportInput {
  options: SimulationOptions;
  stats: SimulationStats;
  startedAt: Date;
  runMs: number;
  atEnd: { connected: number; booted: number };
  interrupted: boolean;
}

export function buildReport({ options, stats, startedAt, runMs, atEnd, interrupted }: ReportInput): SimulationReport {
  const calls: SimulationReport['calls'] = {};
  for (const [action, entry] of [...stats.actions].sort(([a], [b]) => a.localeCompare(b))) {
    calls[action] = { sent: entry.sent, ok: entry.ok, failed: entry.failed, rttMs: entry.rtt.summary() };
  }
  const messages = stats.messagesSent + stats.messagesReceived;
  const failures = failuresOf(options, stats);
  return {
    ok: failures.length === 0,
    failures,
    startedAt: startedAt.toISOString(),
    durationSec: round(runMs / 1000),
    interrupted,
    settings: {
      url: redactUrlPassword(options.url),
      chargers: options.chargers,
      ramp: options.ramp,
      duration: options.duration,
      transactions: options.transactions,
      heartbeat: options.heartbeat ?? null,
      idPrefix: options.idPrefix,
      ocpp: options.ocpp,
    },
    chargers: {
      started: stats.started,
      connected: stats.everConnected,
      booted: stats.everBooted,
      connectedAtEnd: atEnd.connected,
      bootedAtEnd: atEnd.booted,
    },
    connectMs: stats.connectTime.summary(),
    bootMs: stats.bootTime.summary(),
    calls,
    answered: sortedObject(stats.callsAnswered),
    refusals: sortedObject(stats.refusals),
    errors: sortedObject(stats.errors),
    reconnects: stats.reconnects,
    connectionsLost: stats.connectionsLost,
    serverRestarts: stats.serverRestarts,
    transactions: { started: stats.transactionsStarted, stopped: stats.transactionsStopped },
    versions: Object.fromEntries(
      [...stats.versions].map(([version, counts]) => [
        version,
        {
          chargers: counts.chargers,
          connected: counts.connected,
          booted: counts.booted,
          transactions: { started: counts.transactionsStarted, stopped: counts.transactionsStopped },
        },
      ]),
    ),
    messages: {
      sent: stats.messagesSent,
      received: stats.messagesReceived,
      perSecond: round(runMs > 0 ? messages / (runMs / 1000) : 0),
    },
  };
}

/** The report as a table for a terminal. */
export function formatReport(report: SimulationReport): string {
  const { settings, chargers } = report;
  const lines: string[] = [];
  lines.push(
    `ocpp-edge simulate: ${settings.chargers} chargers → ${settings.url}, ${report.durationSec} s${report.interrupted ? ' (interrupted)' : ''}, ramp ${settings.ramp}/s` +
      `${settings.transactions ? ', with transactions' : ''}`,
  );
  lines.push('');
  lines.push(
    `chargers     started ${chargers.started}, connected ${chargers.connected}, booted ${chargers.booted}; at the end: connected ${chargers.connectedAtEnd}, booted ${chargers.bootedAtEnd}`,
  );
  lines.push(
    `connections  reconnects ${report.reconnects}, lost ${report.connectionsLost}` +
      (report.serverRestarts > 0
        ? `, closed by a server restart (1001/1012, not errors) ${report.serverRestarts}`
        : ''),
  );
  lines.push(
    `messages     sent ${report.messages.sent}, received ${report.messages.received}, ${report.messages.perSecond}/s`,
  );
  if (settings.transactions || report.transactions.started > 0) {
    lines.push(`transactions started ${report.transactions.started}, stopped ${report.transactions.stopped}`);
  }
  for (const [version, counts] of Object.entries(report.versions))
    lines.push(
      `OCPP ${version.padEnd(6)} chargers ${counts.chargers}, connected ${counts.connected}, booted ${counts.booted}` +
        (settings.transactions || counts.transactions.started > 0
          ? `; transactions started ${counts.transactions.started}, stopped ${counts.transactions.stopped}`
          : ''),
    );
  lines.push('');

  const header = ['latency (ms)', 'count', 'failed', 'min', 'p50', 'p90', 'p99', 'p99.9', 'max'];
  const rows: string[][] = [header];
  const row = (name: string, summary: LatencySummary, failed: number | string) =>
    rows.push([
      name,
      String(summary.count),
      String(failed),
      ...[summary.min, summary.p50, summary.p90, summary.p99, summary.p999, summary.max].map(ms),
    ]);
  row('connect', report.connectMs, '');
  row('boot (from start)', report.bootMs, '');
  for (const [action, entry] of Object.entries(report.calls)) row(`${action} RTT`, entry.rttMs, entry.failed);
  const widths = header.map((_, column) => Math.max(...rows.map((cells) => cells[column]!.length)));
  for (const cells of rows)
    lines.push(
      cells
        .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
        .join('  '),
    );

  for (const [title, counts] of [
    ['errors', report.errors],
    ['refusals', report.refusals],
    ['answered central system calls', report.answered],
  ] as const) {
    const entries = Object.entries(counts);
    if (entries.length === 0) continue;
    lines.push('', title);
    for (const [name, count] of entries.sort(([, a], [, b]) => b - a))
      lines.push(`  ${String(count).padStart(8)}  ${name}`);
  }
  lines.push('');
  if (report.ok) lines.push('result: OK');
  else for (const failure of report.failures) lines.push(`result: FAILED — ${failure}`);
  return `${lines.join('\n')}\n`;
}

/** What the run was asked to do and did not. */
function failuresOf(options: SimulationOptions, stats: SimulationStats): string[] {
  if (stats.everBooted === 0) return ['no charger had its BootNotification accepted'];
  const failures: string[] = [];
  // In a mix, every version has to have worked: a central system serving only one of them is not serving the fleet.
  if (stats.versions.size > 1) {
    for (const [version, counts] of stats.versions) {
      if (counts.chargers === 0) continue;
      if (counts.booted === 0)
        failures.push(
          `no OCPP ${version} charger had its BootNotification accepted` +
            (counts.connected === 0 ? ` (none could connect: does the central system serve ocpp${version}?)` : ''),
        );
      else if (options.transactions && counts.transactionsStarted === 0 && stats.transactionsStarted > 0)
        failures.push(`--transactions: no OCPP ${version} charger started a transaction`);
    }
  }
  if (options.transactions && stats.transactionsStarted === 0) {
    const refused = [...stats.refusals].filter(([name]) =>
      /^(Authorize|StartTransaction|TransactionEvent) /.test(name),
    );
    const idTag = options.idTag ? `id tag ${options.idTag}` : 'the id tags (each charger presents its own id)';
    failures.push(
      refused.length > 0
        ? `--transactions: no transaction started, the central system refused ${idTag} (${refused
            .map(([name, count]) => `${name} ×${count}`)
            .join(', ')}): register it (PUT /api/id-tags/{idTag}) or pass --id-tag with one it accepts`
        : '--transactions: no transaction started within the run (a longer --duration?)',
    );
  }
  return failures;
}

function ms(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function sortedObject(map: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...map].sort(([a], [b]) => a.localeCompare(b)));
}
