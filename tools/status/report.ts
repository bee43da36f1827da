// The one screen of `ocpp-edge status`: processes, certificates, chargers, sessions, errors, then the problems.

import { formatTable } from '../operator/table.js';
import type { ErrorCount, ProcessState, StatusReport } from './collect.js';

export function formatStatus(report: StatusReport): string {
  const lines: string[] = [];
  lines.push(processLine('proxy', report.proxy, report.at), processLine('backend', report.backend, report.at));
  for (const upstream of report.upstreams)
    lines.push(
      `  upstream ${upstream.url}: ${upstream.healthy ? 'healthy' : 'UNHEALTHY'}, ${upstream.sessions} WebSocket sessions`,
    );
  lines.push('');
  if (report.certificates.length === 0 && report.proxy.up) lines.push('certificates  none served');
  for (const certificate of report.certificates)
    lines.push(
      `certificate   ${certificate.names.join(', ')} (${certificate.origin}): ${certificate.daysLeft} days left, until ${certificate.notAfter}`,
    );
  const { connected, proxySessions } = report.chargers;
  lines.push(
    `chargers      ${connected ?? '?'} connected to the backend, ${proxySessions ?? '?'} WebSocket sessions through the proxy`,
  );
  lines.push(
    `sessions      ${report.sessions.running === undefined ? `? (${report.sessions.error})` : `${report.sessions.running} running`}`,
  );
  lines.push('');
  lines.push(errorTable(report.errors.counts, report.errors.windowSeconds).trimEnd());
  lines.push('');
  lines.push(report.problems.length === 0 ? 'OK' : report.problems.map((problem) => `PROBLEM: ${problem}`).join('\n'));
  return `${lines.join('\n')}\n`;
}

function processLine(name: string, state: ProcessState, now: string): string {
  if (!state.up) return `${name.padEnd(9)} DOWN  ${state.url}: ${state.error}`;
  const facts = [
    state.version && `ocpp-edge ${state.version}`,
    state.node && `Node ${state.node}`,
    state.pid !== undefined && `pid ${state.pid}`,
    state.startedAt && `up ${duration(Date.parse(now) - Date.parse(state.startedAt))}`,
  ].filter(Boolean);
  return `${name.padEnd(9)} up    ${state.url}  ${facts.join(', ')}`;
}

function errorTable(counts: ErrorCount[], windowSeconds: number): string {
  const recentHeader = windowSeconds > 0 ? `LAST ${windowSeconds} S` : 'RECENT';
  return formatTable(
    [
      { header: 'ERRORS', value: (count: ErrorCount) => `${count.process} ${count.what}` },
      { header: 'SINCE START', value: (count: ErrorCount) => count.total },
      {
        header: recentHeader,
        value: (count: ErrorCount) => (count.recent === undefined ? '' : count.recent),
      },
      {
        header: 'PER MINUTE',
        value: (count: ErrorCount) =>
          count.recent === undefined || windowSeconds === 0 ? '' : ((count.recent * 60) / windowSeconds).toFixed(1),
      },
    ],
    counts,
  );
}

function duration(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days`;
}
