// The chaos runner's one table: a row per scenario, as text for the terminal and as Markdown for
// docs/RELIABILITY.md. Pure formatting of ScenarioResult; the figures come from scenario-run.ts.

import type { Accounting } from './ledger.js';

export interface ScenarioResult {
  scenario: string;
  chargers: number;
  /** StartTransaction calls the chargers sent (answered or not). */
  startsSent: number;
  accounting: Accounting;
  /** Reconnects measured and their times, ms (connection lost to open again). */
  reconnects: { count: number; p50: number; p99: number };
  /** Charger-side errors by kind ("StartTransaction: InternalError") and the stack's error log lines. */
  errors: Record<string, number>;
  /** What else the scenario checked or saw (integrity_check's answer, the bytes it took to fill the disk). */
  notes: string[];
}

const HEADER = [
  'scenario',
  'chargers',
  'tx started',
  'ack start/stop',
  'stored',
  'lost',
  'reconnect p50/p99 (n)',
  'errors by kind',
];

/** The `top` most frequent kinds, "kind ×count", most frequent first; the rest summed. */
export function errorSummary(errors: Record<string, number>, top = 4): string {
  const sorted = Object.entries(errors).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (sorted.length === 0) return 'none';
  const shown = sorted.slice(0, top).map(([kind, count]) => `${kind} ×${count}`);
  const rest = sorted.slice(top).reduce((sum, [, count]) => sum + count, 0);
  return rest > 0 ? `${shown.join('; ')}; others ×${rest}` : shown.join('; ');
}

export function cells(result: ScenarioResult): string[] {
  const { accounting, reconnects } = result;
  return [
    result.scenario,
    String(result.chargers),
    String(result.startsSent),
    `${accounting.acknowledgedStarts}/${accounting.acknowledgedStops}`,
    String(accounting.stored),
    String(accounting.lost),
    reconnects.count === 0 ? '–' : `${formatMs(reconnects.p50)} / ${formatMs(reconnects.p99)} (${reconnects.count})`,
    errorSummary(result.errors),
  ];
}

export function textTable(results: readonly ScenarioResult[]): string {
  const rows = [HEADER, ...results.map(cells)];
  const widths = HEADER.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(HEADER), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function markdownTable(results: readonly ScenarioResult[]): string {
  const escapeCell = (cell: string) => cell.replaceAll('|', '\\|');
  return [
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map(() => '---').join('|')}|`,
    ...results.map((result) => `| ${cells(result).map(escapeCell).join(' | ')} |`),
  ].join('\n');
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}
