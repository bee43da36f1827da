// The bench's results as one table: every figure for each target (the median of the repetitions), its ratio to
// nginx, the Node floor's ratio to nginx (what no Node proxy gets under), and the target it is held to; as text
// for the terminal and as Markdown for docs/PERFORMANCE.md.

import { median } from '../common/median.js';
import type { TargetName } from './targets.js';

/** How a ratio to nginx is judged: at most `limit` (costs, latencies) or at least `limit` (rates). */
export interface RatioGoal {
  kind: 'ratio';
  direction: 'at-most' | 'at-least';
  limit: number;
}
/** Failures: every run must have none. */
export interface ZeroGoal {
  kind: 'zero';
}
export type Goal = RatioGoal | ZeroGoal;

export interface Row {
  measurement: string;
  unit: string;
  /** One value per repetition, per target (missing: not measured for that target). */
  runs: Partial<Record<TargetName, number[]>>;
  goal?: Goal;
  /** Failures are summed over the repetitions rather than taking the median. */
  sum?: boolean;
  /** The target may be met with cluster workers (ocpp-edge-x2) as well as with one process. */
  clusterAllowed?: boolean;
}

export interface TableLine {
  measurement: string;
  values: Partial<Record<TargetName, number>>;
  /** ocpp-edge / nginx. */
  ratio: number | undefined;
  /** ocpp-edge-x2 / nginx. */
  clusterRatio: number | undefined;
  /** node-floor / nginx: where a target lies below this, no Node proxy on node:tls can meet it. */
  floorRatio: number | undefined;
  goal: string;
  met: boolean | undefined;
}

export function summarise(rows: Row[]): TableLine[] {
  return rows.map((row) => {
    const values: Partial<Record<TargetName, number>> = {};
    for (const [name, runs] of Object.entries(row.runs) as Array<[TargetName, number[]]>) {
      if (runs.length > 0) values[name] = row.sum ? runs.reduce((a, b) => a + b, 0) : median(runs);
    }
    const edge = values['ocpp-edge'];
    const nginx = values.nginx;
    const ratioOf = (value: number | undefined) =>
      value !== undefined && nginx !== undefined && nginx !== 0 ? value / nginx : undefined;
    const ratio = ratioOf(edge);
    const clusterRatio = ratioOf(values['ocpp-edge-x2']);
    const floorRatio = ratioOf(values['node-floor']);
    let goal = '';
    let met: boolean | undefined;
    if (row.goal?.kind === 'ratio') {
      const { direction, limit } = row.goal;
      goal = `${direction === 'at-most' ? '≤' : '≥'} ${limit.toFixed(1)}×${row.clusterAllowed ? ' (workers allowed)' : ''}`;
      const meets = (value: number | undefined) =>
        value !== undefined && (direction === 'at-most' ? value <= limit : value >= limit);
      const judged = row.clusterAllowed ? [ratio, clusterRatio] : [ratio];
      if (judged.some((value) => value !== undefined)) met = judged.some(meets);
    } else if (row.goal?.kind === 'zero') {
      goal = '0 (ocpp-edge)';
      if (edge !== undefined) met = edge === 0;
    }
    return { measurement: `${row.measurement} (${row.unit})`, values, ratio, clusterRatio, floorRatio, goal, met };
  });
}

const COLUMNS: TargetName[] = ['ocpp-edge', 'ocpp-edge-x2', 'nginx', 'node-floor', 'direct'];

function cells(line: TableLine): string[] {
  const ratio = (value: number | undefined) => (value === undefined ? '' : `${value.toFixed(2)}×`);
  return [
    line.measurement,
    ...COLUMNS.map((name) => formatNumber(line.values[name])),
    ratio(line.ratio),
    ratio(line.clusterRatio),
    ratio(line.floorRatio),
    line.goal,
    line.met === undefined ? '' : line.met ? 'met' : 'MISSED',
  ];
}

const HEADER = ['measurement', ...COLUMNS, 'ocpp-edge / nginx', 'x2 / nginx', 'floor / nginx', 'target', ''];

export function textTable(lines: TableLine[]): string {
  const rows = [HEADER, ...lines.map(cells)];
  const widths = HEADER.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
        .join('  '),
    )
    .join('\n');
}

export function markdownTable(lines: TableLine[]): string {
  const header = `| ${HEADER.join(' | ')} |`;
  const rule = `|${HEADER.map((_, column) => (column === 0 ? ' --- ' : ' ---: ')).join('|')}|`;
  return [header, rule, ...lines.map((line) => `| ${cells(line).join(' | ')} |`)].join('\n');
}

/** Every repetition's value, for the record ("a / b"). */
export function markdownRuns(rows: Row[]): string {
  const header = `| measurement | ${COLUMNS.join(' | ')} |`;
  const rule = `| --- |${COLUMNS.map(() => ' ---: ').join('|')}|`;
  const body = rows.map(
    (row) =>
      `| ${row.measurement} (${row.unit}) | ${COLUMNS.map((name) => (row.runs[name] ?? []).map(formatNumber).join(' / ')).join(' | ')} |`,
  );
  return [header, rule, ...body].join('\n');
}

export function formatNumber(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  // Counts (failures) and large rates read best without decimals.
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const magnitude = Math.abs(value);
  if (magnitude >= 1000) return Math.round(value).toLocaleString('en-US');
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 1 || value === 0) return value.toFixed(2);
  return value.toFixed(3);
}

/** The Node targets compared across runtimes (--node): one column per runtime, and the last / the first. */
const COMPARED: TargetName[] = ['ocpp-edge', 'node-floor', 'ocpp-edge-x2'];

export interface ComparisonLine {
  measurement: string;
  /** Per compared target: its value on each runtime, in the order of `labels`. */
  values: Partial<Record<TargetName, Array<number | undefined>>>;
  labels: string[];
}

/**
 * Lines of the per-runtime tables side by side: for each measurement, each Node target's value on each runtime.
 * Targets measured on no runtime are left out; so are rows of nginx alone.
 */
export function runtimeComparison(tables: Array<{ label: string; lines: TableLine[] }>): ComparisonLine[] {
  const [first] = tables;
  if (!first) return [];
  const labels = tables.map((table) => table.label);
  return first.lines
    .map((line, index) => {
      const values: ComparisonLine['values'] = {};
      for (const name of COMPARED) {
        const each = tables.map((table) => table.lines[index]?.values[name]);
        if (each.some((value) => value !== undefined)) values[name] = each;
      }
      return { measurement: line.measurement, values, labels };
    })
    .filter((line) => Object.keys(line.values).length > 0);
}

function comparisonColumns(lines: ComparisonLine[]): Array<{ name: TargetName; runtimes: number }> {
  const labels = lines[0]?.labels ?? [];
  return COMPARED.filter((name) => lines.some((line) => line.values[name])).map((name) => ({
    name,
    runtimes: labels.length,
  }));
}

function comparisonCells(lines: ComparisonLine[]): string[][] {
  const labels = lines[0]?.labels ?? [];
  const columns = comparisonColumns(lines);
  const header = [
    'measurement',
    ...columns.flatMap(({ name }) => [
      ...labels.map((label) => `${name}, ${label}`),
      `${labels.at(-1)} / ${labels[0]}`,
    ]),
  ];
  const body = lines.map((line) => [
    line.measurement,
    ...columns.flatMap(({ name }) => {
      const each = line.values[name] ?? [];
      const firstValue = each[0];
      const lastValue = each.at(-1);
      const ratio =
        firstValue !== undefined && lastValue !== undefined && firstValue !== 0
          ? `${(lastValue / firstValue).toFixed(2)}×`
          : '';
      return [...labels.map((_, index) => formatNumber(each[index])), ratio];
    }),
  ]);
  return [header, ...body];
}

export function textComparison(lines: ComparisonLine[]): string {
  const rows = comparisonCells(lines);
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
        .join('  '),
    )
    .join('\n');
}

export function markdownComparison(lines: ComparisonLine[]): string {
  const [header, ...body] = comparisonCells(lines);
  const rule = `|${header!.map((_, column) => (column === 0 ? ' --- ' : ' ---: ')).join('|')}|`;
  return [`| ${header!.join(' | ')} |`, rule, ...body.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}
