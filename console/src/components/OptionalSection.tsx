// A section fed by an API route that a deployment may not have (an older backend): it shows the rows when the
// route answers, and says so plainly when it does not, instead of breaking the page.

import type { ReactNode } from 'react';
import useSWR from 'swr';
import { ApiError } from '../api';

export function OptionalSection<T>({
  title,
  path,
  render,
  empty = 'Nothing recorded.',
  rowsOf = (value) => (Array.isArray(value) ? value : undefined),
}: {
  title: string;
  path: string;
  render: (data: T) => ReactNode;
  empty?: string;
  /** The rows in an answer, to tell an empty one (default: the answer itself when it is a list). */
  rowsOf?: (data: T) => unknown[] | undefined;
}) {
  const { data, error } = useSWR<T>(path);
  const rows = data === undefined ? undefined : rowsOf(data);
  return (
    <section className="panel">
      <h2>{title}</h2>
      {error instanceof ApiError && error.status === 404 ? (
        <p className="empty">Not available from this backend.</p>
      ) : error ? (
        <p className="error">{error.message}</p>
      ) : data === undefined ? (
        <p className="empty">Loading…</p>
      ) : rows && rows.length === 0 ? (
        <p className="empty">{empty}</p>
      ) : (
        render(data)
      )}
    </section>
  );
}

/** A plain table of objects: the columns named, values as text. */
export function RowsTable({ rows, columns }: { rows: Record<string, unknown>[]; columns: [string, string][] }) {
  return (
    <div className="table-wrap">
      <table className="list compact">
        <thead>
          <tr>
            {columns.map(([, label]) => (
              <th key={label}>{label}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {(Array.isArray(rows) ? rows : []).map((row, index) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows of a log have no identity of their own
            <tr key={index}>
              {columns.map(([key]) => (
                <td key={key}>{text(row[key])}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function text(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
