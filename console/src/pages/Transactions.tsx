// Transactions: newest first, filtered by charger, tag, time and state, a page at a time, with the energy of each
// session and a CSV export of everything the filter matches.

import { useState } from 'react';
import useSWR from 'swr';
import { PAGE_SIZE, Pager } from '../components/Pager';
import { Link } from 'wouter';
import { apiPage, type Page, type Transaction } from '../api';
import { downloadCsv } from '../csv';
import { dateTime, kWh } from '../format';

export interface TransactionFilter {
  chargePointId: string;
  idTag: string;
  from: string;
  to: string;
  state: 'all' | 'active' | 'finished';
  /** Only sessions with suspect data (flags), or only clean ones. */
  flags: 'any' | 'flagged' | 'clean';
}

export function transactionsQuery(filter: TransactionFilter): URLSearchParams {
  const params = new URLSearchParams();
  if (filter.chargePointId.trim()) params.set('chargePointId', filter.chargePointId.trim());
  if (filter.idTag.trim()) params.set('idTag', filter.idTag.trim());
  if (filter.from) params.set('since', new Date(filter.from).toISOString());
  if (filter.to) params.set('until', new Date(filter.to).toISOString());
  if (filter.state !== 'all') params.set('active', String(filter.state === 'active'));
  if (filter.flags !== 'any') params.set('flagged', String(filter.flags === 'flagged'));
  return params;
}

export function TransactionsPage() {
  const [filter, setFilter] = useState<TransactionFilter>({
    chargePointId: '',
    idTag: '',
    from: '',
    to: '',
    state: 'all',
    flags: 'any',
  });
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [exporting, setExporting] = useState<string>();
  const params = transactionsQuery(filter);
  params.set('limit', String(PAGE_SIZE));
  const cursor = cursors.at(-1);
  if (cursor) params.set('cursor', cursor);
  const { data, error } = useSWR<Page<Transaction>>(`/api/transactions?${params}`, apiPage<Transaction>);
  const page = data?.items;
  const update = (change: Partial<TransactionFilter>) => {
    setFilter({ ...filter, ...change });
    setCursors([undefined]);
  };

  const exportCsv = async () => {
    setExporting('exporting…');
    try {
      await downloadCsv(`/api/transactions/export.csv?${transactionsQuery(filter)}`, 'transactions.csv');
      setExporting(undefined);
    } catch (failure) {
      setExporting((failure as Error).message);
    }
  };

  return (
    <section>
      <h1>Transactions</h1>
      <div className="toolbar">
        <input
          aria-label="Charger"
          placeholder="Charger"
          value={filter.chargePointId}
          onChange={(e) => update({ chargePointId: e.target.value })}
        />
        <input
          aria-label="Id tag"
          placeholder="Id tag"
          value={filter.idTag}
          onChange={(e) => update({ idTag: e.target.value })}
        />
        <label>
          From <input type="datetime-local" value={filter.from} onChange={(e) => update({ from: e.target.value })} />
        </label>
        <label>
          To <input type="datetime-local" value={filter.to} onChange={(e) => update({ to: e.target.value })} />
        </label>
        <select
          aria-label="State"
          value={filter.state}
          onChange={(e) => update({ state: e.target.value as TransactionFilter['state'] })}
        >
          <option value="all">All</option>
          <option value="active">Running</option>
          <option value="finished">Finished</option>
        </select>
        <select
          aria-label="Flags"
          value={filter.flags}
          onChange={(e) => update({ flags: e.target.value as TransactionFilter['flags'] })}
        >
          <option value="any">Any data</option>
          <option value="flagged">Flagged only</option>
          <option value="clean">Unflagged only</option>
        </select>
        <button type="button" onClick={() => void exportCsv()}>
          Export CSV
        </button>
        {exporting && <span className="hint">{exporting}</span>}
      </div>
      {error && <p className="error">{error.message}</p>}
      <div className="table-wrap">
        <table className="list" data-testid="transactions-table">
          <thead>
            <tr>
              <th>Id</th>
              <th>Charger</th>
              <th>Tag</th>
              <th>Started</th>
              <th className="wide">Stopped</th>
              <th>Energy</th>
              <th className="wide">Flags</th>
            </tr>
          </thead>
          <tbody>
            {page?.map((transaction) => (
              <tr key={`${transaction.chargePointId}/${transaction.id}`}>
                <td>{transaction.id}</td>
                <td>
                  <Link href={`/charge-points/${encodeURIComponent(transaction.chargePointId)}`}>
                    {transaction.chargePointId}
                  </Link>
                </td>
                <td>{transaction.idTag}</td>
                <td>{dateTime(transaction.startTime)}</td>
                <td className="wide">
                  {transaction.stopTime ? dateTime(transaction.stopTime) : <span className="badge info">running</span>}
                </td>
                <td>{kWh(transaction.energy)}</td>
                <td className="wide">{(transaction.flags ?? []).join(', ') || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {page?.length === 0 && <p className="empty">No transaction matches.</p>}
      </div>
      <Pager cursors={cursors} next={data?.next} onChange={setCursors} />
    </section>
  );
}
