// Fleet: every charger, a page at a time (the API pages by identity), with counts by state at the top, a search
// and a state filter. Connects, boots and status changes arrive on the event stream and refresh what is shown.

import { useState } from 'react';
import useSWR from 'swr';
import { PAGE_SIZE, Pager } from '../components/Pager';
import { Link } from 'wouter';
import { apiPage, type ChargePoint, type Page } from '../api';
import { ago } from '../format';

interface Summary {
  registered: number;
  connected: number;
  disconnected: number;
  faulted: number;
  charging: number;
}

type StateFilter = 'all' | 'connected' | 'disconnected';

export function fleetPath(filter: { q: string; state: StateFilter; cursor?: string }): string {
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (filter.q.trim() !== '') params.set('q', filter.q.trim());
  if (filter.state !== 'all') params.set('connected', String(filter.state === 'connected'));
  if (filter.cursor) params.set('cursor', filter.cursor);
  return `/api/charge-points?${params}`;
}

export function FleetPage() {
  const [q, setQ] = useState('');
  const [state, setState] = useState<StateFilter>('all');
  // The cursors of the pages before this one, so "Previous" goes back exactly.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors.at(-1);
  const { data: summary } = useSWR<Summary>('/api/fleet/summary');
  const { data, error } = useSWR<Page<ChargePoint>>(fleetPath({ q, state, cursor }), apiPage<ChargePoint>);
  const page = data?.items;
  const restart = () => setCursors([undefined]);

  return (
    <section>
      <h1>Fleet</h1>
      <div className="counts" data-testid="fleet-counts">
        <Count label="registered" value={summary?.registered} />
        <Count label="connected" value={summary?.connected} tone="ok" />
        <Count label="disconnected" value={summary?.disconnected} tone="muted" />
        <Count label="charging" value={summary?.charging} tone="info" />
        <Count label="faulted" value={summary?.faulted} tone="bad" />
      </div>
      <div className="toolbar">
        <input
          type="search"
          placeholder="Search id, vendor, model, serial"
          aria-label="Search chargers"
          value={q}
          onChange={(event) => {
            setQ(event.target.value);
            restart();
          }}
        />
        <select
          aria-label="Connection state"
          value={state}
          onChange={(event) => {
            setState(event.target.value as StateFilter);
            restart();
          }}
        >
          <option value="all">All</option>
          <option value="connected">Connected</option>
          <option value="disconnected">Disconnected</option>
        </select>
      </div>
      {error && <p className="error">{error.message}</p>}
      <div className="table-wrap">
        <table className="list" data-testid="fleet-table">
          <thead>
            <tr>
              <th>Charger</th>
              <th>State</th>
              <th className="wide">Vendor / model</th>
              <th className="wide">Firmware</th>
              <th className="wide">Security profile</th>
              <th className="wide">Off-spec</th>
              <th>Last seen</th>
            </tr>
          </thead>
          <tbody>
            {page?.map((chargePoint) => (
              <tr key={chargePoint.id} data-charger={chargePoint.id}>
                <td>
                  <Link href={`/charge-points/${encodeURIComponent(chargePoint.id)}`}>{chargePoint.id}</Link>
                </td>
                <td>
                  <span className={`badge ${chargePoint.connected ? 'ok' : 'muted'}`}>
                    {chargePoint.connected ? 'connected' : 'offline'}
                  </span>
                </td>
                <td className="wide">{[chargePoint.vendor, chargePoint.model].filter(Boolean).join(' ') || '—'}</td>
                <td className="wide">{chargePoint.firmwareVersion ?? '—'}</td>
                <td className="wide">{chargePoint.securityProfile ?? '—'}</td>
                <td className="wide">
                  {chargePoint.schemaViolations ? (
                    <span className="badge warn">{chargePoint.schemaViolations}</span>
                  ) : (
                    '—'
                  )}
                </td>
                <td>
                  {ago((chargePoint.lastHeartbeat as string | null) ?? (chargePoint.lastBootAt as string | null))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {page?.length === 0 && <p className="empty">No charger matches.</p>}
      </div>
      <Pager cursors={cursors} next={data?.next} onChange={setCursors} />
    </section>
  );
}

function Count({ label, value, tone }: { label: string; value: number | undefined; tone?: string }) {
  return (
    <div className={`count ${tone ?? ''}`} data-count={label}>
      <strong>{value ?? '…'}</strong>
      <span>{label}</span>
    </div>
  );
}
