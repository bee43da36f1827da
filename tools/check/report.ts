// The outcome of a check run: a plain object (what --json prints) and a table people read at a glance, one row
// per thing verified with ✓ or ✗, the figure, the target and a line of detail.

import type { CheckResult, CheckStatus } from './result.js';

export interface CheckReport {
  /** The exit-code rule: true when no check failed (inconclusive and skipped rows do not fail a run). */
  ok: boolean;
  url: string;
  address: string | null;
  checkedAt: string;
  durationMs: number;
  counts: Record<CheckStatus, number>;
  checks: CheckResult[];
}

const MARKS: Record<CheckStatus, string> = { pass: '✓', fail: '✗', inconclusive: '?', skipped: '–' };

export function buildReport(
  url: string,
  address: string | undefined,
  checkedAt: Date,
  durationMs: number,
  checks: CheckResult[],
): CheckReport {
  const counts: Record<CheckStatus, number> = { pass: 0, fail: 0, inconclusive: 0, skipped: 0 };
  for (const check of checks) counts[check.status]++;
  return {
    ok: counts.fail === 0,
    url,
    address: address ?? null,
    checkedAt: checkedAt.toISOString(),
    durationMs: Math.round(durationMs),
    counts,
    checks,
  };
}

export function formatReport(report: CheckReport): string {
  const lines = [`ocpp-edge check ${report.url}${report.address ? ` (connecting to ${report.address})` : ''}`, ''];
  const rows = report.checks.map((check) => [
    MARKS[check.status],
    check.name,
    check.figure,
    check.target ?? '',
    check.detail ?? '',
  ]);
  const widths = [1, 2, 3].map((column) => Math.max(...rows.map((cells) => cells[column]!.length)));
  for (const [mark, name, figure, target, detail] of rows) {
    lines.push(
      `${mark} ${name!.padEnd(widths[0]!)}  ${figure!.padEnd(widths[1]!)}  ${target!.padEnd(widths[2]!)}  ${detail}`.trimEnd(),
    );
  }
  const { pass, fail, inconclusive, skipped } = report.counts;
  const extra = [inconclusive ? `${inconclusive} not tested` : '', skipped ? `${skipped} skipped` : '']
    .filter(Boolean)
    .join(', ');
  lines.push(
    '',
    `${fail === 0 ? 'OK' : 'FAILED'}: ${pass} passed, ${fail} failed${extra ? `, ${extra}` : ''} (${(report.durationMs / 1000).toFixed(1)} s)`,
  );
  return `${lines.join('\n')}\n`;
}
