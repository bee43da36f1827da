// Edge: the proxies in front of the central system as the backend reads them from their private listeners —
// certificates per domain (issuer, days left, next renewal), upstreams and their health, and connections and
// handshake and upgrade errors over the last hour.

import { useMemo } from 'react';
import useSWR from 'swr';
import { TimeChart } from '../components/TimeChart';
import type { Series } from '../meter-chart';
import { ago, dateTime, daysLeft } from '../format';

interface EdgeSample {
  at: string;
  connections: number;
  handshakeErrors: number;
  upgradeFailures: number;
  http5xx: number;
}

interface ProxyView {
  url: string;
  up: boolean;
  error?: string;
  lastSeen?: string;
  status?: {
    pid: number;
    startedAt: string;
    node: string;
    certificates: {
      names: string[];
      issuer: string;
      serialNumber: string;
      notBefore: string;
      notAfter: string;
      origin: string;
      nextRenewal?: string;
      ariWindow?: { start: string; end: string };
    }[];
    upstreams: { url: string; healthy: boolean; sessions: number }[];
  };
  limits?: { maxConnections: number; bansActive: number; bansTotal: number; refusals: Record<string, number> };
  series: EdgeSample[];
}

export function EdgePage() {
  const { data, error } = useSWR<{ proxies: ProxyView[] }>('/api/edge', { refreshInterval: 30_000 });
  if (error) return <p className="error">{error.message}</p>;
  if (!data) return <p className="empty">Loading…</p>;
  return (
    <section>
      <h1>Edge</h1>
      {data.proxies.length === 0 && <p className="empty">No proxy configured (--proxy-status-url).</p>}
      {data.proxies.map((proxy) => (
        <ProxyPanel key={proxy.url} proxy={proxy} />
      ))}
    </section>
  );
}

function ProxyPanel({ proxy }: { proxy: ProxyView }) {
  const { times, series } = useMemo(() => chartOf(proxy.series), [proxy.series]);
  const lastHour = useMemo<[number, number]>(() => {
    const now = Math.floor(Date.now() / 1000);
    return [now - 3600, now];
  }, []);
  return (
    <article className="panel" data-testid="proxy">
      <h2>
        Proxy {proxy.url} <span className={`badge ${proxy.up ? 'ok' : 'bad'}`}>{proxy.up ? 'up' : 'unreachable'}</span>
      </h2>
      {proxy.error && <p className="error">{proxy.error}</p>}
      {proxy.status && (
        <p className="hint">
          pid {proxy.status.pid}, Node {proxy.status.node}, started {dateTime(proxy.status.startedAt)}, read{' '}
          {ago(proxy.lastSeen)}
        </p>
      )}
      <h3>Certificates</h3>
      <div className="table-wrap">
        <table className="list compact" data-testid="certificates">
          <thead>
            <tr>
              <th>Domains</th>
              <th>Days left</th>
              <th className="wide">Issuer</th>
              <th className="wide">Source</th>
              <th>Next renewal</th>
              <th className="wide">ARI window</th>
            </tr>
          </thead>
          <tbody>
            {proxy.status?.certificates.map((certificate) => {
              const days = daysLeft(certificate.notAfter);
              return (
                <tr key={certificate.serialNumber}>
                  <td>{certificate.names.join(', ')}</td>
                  <td>
                    <span className={`badge ${days < 14 ? 'bad' : days < 30 ? 'warn' : 'ok'}`}>{days}</span>
                  </td>
                  <td className="wide">{certificate.issuer}</td>
                  <td className="wide">{certificate.origin}</td>
                  <td>{certificate.nextRenewal ? dateTime(certificate.nextRenewal) : '—'}</td>
                  <td className="wide">
                    {certificate.ariWindow
                      ? `${dateTime(certificate.ariWindow.start)} – ${dateTime(certificate.ariWindow.end)}`
                      : '—'}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <h3>Upstreams</h3>
      <div className="table-wrap">
        <table className="list compact" data-testid="upstreams">
          <thead>
            <tr>
              <th>Upstream</th>
              <th>Health</th>
              <th>WebSocket sessions</th>
            </tr>
          </thead>
          <tbody>
            {proxy.status?.upstreams.map((upstream) => (
              <tr key={upstream.url}>
                <td>{upstream.url}</td>
                <td>
                  <span className={`badge ${upstream.healthy ? 'ok' : 'bad'}`}>
                    {upstream.healthy ? 'healthy' : 'out'}
                  </span>
                </td>
                <td>{upstream.sessions}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {proxy.limits && (
        <>
          <h3>Limits and bans</h3>
          <dl className="facts" data-testid="limits">
            <div>
              <dt>Connection ceiling</dt>
              <dd>{proxy.limits.maxConnections || '—'}</dd>
            </div>
            <div>
              <dt>Banned now</dt>
              <dd>{proxy.limits.bansActive}</dd>
            </div>
            <div>
              <dt>Bans since start</dt>
              <dd>{proxy.limits.bansTotal}</dd>
            </div>
            {Object.entries(proxy.limits.refusals).map(([reason, count]) => (
              <div key={reason}>
                <dt>Refused: {reason.replaceAll('_', ' ')}</dt>
                <dd>{count}</dd>
              </div>
            ))}
          </dl>
        </>
      )}
      <h3>Last hour</h3>
      <TimeChart times={times} series={series} xRange={lastHour} />
    </article>
  );
}

function chartOf(samples: EdgeSample[]): { times: number[]; series: Series[] } {
  return {
    times: samples.map((sample) => Math.floor(Date.parse(sample.at) / 1000)),
    series: [
      { label: 'Connections', unit: 'open', color: '#2563eb', values: samples.map((s) => s.connections) },
      {
        label: 'Errors',
        unit: 'per sample',
        color: '#dc2626',
        values: samples.map((s) => s.handshakeErrors + s.upgradeFailures + s.http5xx),
      },
    ],
  };
}
