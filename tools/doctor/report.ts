// The lines of `ocpp-edge doctor`: ✓, ✗ or ! with what was found, and the fix under each one that is not ✓.

import type { Finding } from './result.js';

const MARKS = { ok: '✓', warn: '!', fail: '✗' } as const;

export function formatFindings(findings: readonly Finding[]): string {
  const width = Math.max(...findings.map((finding) => finding.check.length));
  const lines: string[] = [];
  for (const finding of findings) {
    lines.push(`${MARKS[finding.verdict]} ${finding.check.padEnd(width)}  ${finding.detail}`);
    if (finding.fix) lines.push(`  ${' '.repeat(width)}  fix: ${finding.fix}`);
  }
  const failed = findings.filter((finding) => finding.verdict === 'fail').length;
  const warned = findings.filter((finding) => finding.verdict === 'warn').length;
  lines.push(
    '',
    failed === 0 && warned === 0
      ? 'every check passed'
      : `${failed} ${failed === 1 ? 'problem' : 'problems'}, ${warned} ${warned === 1 ? 'warning' : 'warnings'}`,
  );
  return `${lines.join('\n')}\n`;
}
