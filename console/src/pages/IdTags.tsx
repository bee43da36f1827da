// Id tags: list and search, add, block, set an expiry, and import a CSV or JSON file (admin role for changes).

import { type FormEvent, useState } from 'react';
import useSWR from 'swr';
import { PAGE_SIZE, Pager } from '../components/Pager';
import { api, ApiError, apiPage, type Me, type Page, roleAllows } from '../api';
import { dateTime } from '../format';
import { currentToken } from '../session';

interface IdTag {
  idTag: string;
  status: string;
  expiryDate: string | null;
  parentIdTag: string | null;
}

export function IdTagsPage({ me }: { me: Me | undefined }) {
  const canEdit = roleAllows(me?.role, 'admin');
  const [q, setQ] = useState('');
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (q.trim()) params.set('q', q.trim());
  const cursor = cursors.at(-1);
  if (cursor) params.set('cursor', cursor);
  const { data, error, mutate } = useSWR<Page<IdTag>>(`/api/id-tags?${params}`, apiPage<IdTag>);
  const page = data?.items;
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();

  const change = async (idTag: string, body: Partial<IdTag>, done: string) => {
    try {
      const current = page?.find((tag) => tag.idTag === idTag);
      await api(`/api/id-tags/${encodeURIComponent(idTag)}`, {
        method: 'PUT',
        body: {
          status: body.status ?? current?.status ?? 'Accepted',
          expiryDate: body.expiryDate !== undefined ? body.expiryDate : (current?.expiryDate ?? null),
          parentIdTag: current?.parentIdTag ?? null,
        },
      });
      setMessage({ ok: true, text: done });
      await mutate();
    } catch (failure) {
      setMessage({ ok: false, text: (failure as Error).message });
    }
  };

  return (
    <section>
      <h1>Id tags</h1>
      {canEdit ? (
        <AddTag
          onAdded={(tag) => {
            setMessage({ ok: true, text: `${tag} added` });
            void mutate();
          }}
        />
      ) : (
        <p className="hint">Changes need the admin role.</p>
      )}
      {canEdit && (
        <ImportTags
          onImported={(text) => {
            setMessage({ ok: true, text });
            void mutate();
          }}
        />
      )}
      {message && <p className={message.ok ? 'notice' : 'error'}>{message.text}</p>}
      <div className="toolbar">
        <input
          type="search"
          aria-label="Search tags"
          placeholder="Search"
          value={q}
          onChange={(e) => {
            setQ(e.target.value);
            setCursors([undefined]);
          }}
        />
      </div>
      {error && (
        <p className="error">
          {error instanceof ApiError && error.status === 404 ? 'This backend cannot list id tags.' : error.message}
        </p>
      )}
      <div className="table-wrap">
        <table className="list" data-testid="id-tags-table">
          <thead>
            <tr>
              <th>Id tag</th>
              <th>Status</th>
              <th className="wide">Expires</th>
              <th className="wide">Group</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {page?.map((tag) => (
              <tr key={tag.idTag}>
                <td>{tag.idTag}</td>
                <td>
                  <span className={`badge ${tag.status === 'Accepted' ? 'ok' : 'bad'}`}>{tag.status}</span>
                </td>
                <td className="wide">{dateTime(tag.expiryDate)}</td>
                <td className="wide">{tag.parentIdTag ?? '—'}</td>
                <td className="row-actions">
                  {canEdit && tag.status !== 'Blocked' && (
                    <button
                      type="button"
                      className="secondary"
                      onClick={() =>
                        confirm(`Block ${tag.idTag}?`) &&
                        void change(tag.idTag, { status: 'Blocked' }, `${tag.idTag} blocked`)
                      }
                    >
                      Block
                    </button>
                  )}
                  {canEdit && tag.status === 'Blocked' && (
                    <button
                      type="button"
                      className="secondary"
                      onClick={() => void change(tag.idTag, { status: 'Accepted' }, `${tag.idTag} unblocked`)}
                    >
                      Unblock
                    </button>
                  )}
                  {canEdit && (
                    <button
                      type="button"
                      className="secondary"
                      onClick={() => {
                        const when = prompt(
                          `Expiry of ${tag.idTag} (YYYY-MM-DD, empty: never)`,
                          tag.expiryDate?.slice(0, 10) ?? '',
                        );
                        if (when === null) return;
                        void change(
                          tag.idTag,
                          { expiryDate: when === '' ? null : new Date(`${when}T23:59:59Z`).toISOString() },
                          `${tag.idTag} expiry set`,
                        );
                      }}
                    >
                      Expiry…
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager cursors={cursors} next={data?.next} onChange={setCursors} />
    </section>
  );
}

function AddTag({ onAdded }: { onAdded: (idTag: string) => void }) {
  const [idTag, setIdTag] = useState('');
  const [problem, setProblem] = useState<string>();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      await api(`/api/id-tags/${encodeURIComponent(idTag.trim())}`, { method: 'PUT', body: { status: 'Accepted' } });
      setIdTag('');
      setProblem(undefined);
      onAdded(idTag.trim());
    } catch (failure) {
      setProblem((failure as Error).message);
    }
  };
  return (
    <form className="inline" onSubmit={submit}>
      <input
        aria-label="New id tag"
        placeholder="New id tag (up to 20 characters)"
        maxLength={20}
        value={idTag}
        onChange={(e) => setIdTag(e.target.value)}
      />
      <button type="submit" disabled={idTag.trim() === ''}>
        Add
      </button>
      {problem && <span className="error">{problem}</span>}
    </form>
  );
}

function ImportTags({ onImported }: { onImported: (summary: string) => void }) {
  const [problem, setProblem] = useState<string>();
  const upload = async (file: File) => {
    try {
      const text = await file.text();
      const json = file.name.endsWith('.json');
      const response = await fetch('/api/id-tags/import', {
        method: 'POST',
        headers: {
          'content-type': json ? 'application/json' : 'text/csv',
          authorization: `Bearer ${currentToken() ?? ''}`,
        },
        body: text,
      });
      const body = (await response.json().catch(() => ({}))) as { message?: string; imported?: number };
      if (!response.ok) throw new Error(body.message ?? `import failed: ${response.status}`);
      setProblem(undefined);
      onImported(`${body.imported ?? 'the'} tags imported from ${file.name}`);
    } catch (failure) {
      setProblem((failure as Error).message);
    }
  };
  return (
    <label className="inline">
      Import CSV or JSON{' '}
      <input
        type="file"
        accept=".csv,.json,text/csv,application/json"
        onChange={(e) => e.target.files?.[0] && void upload(e.target.files[0])}
      />
      {problem && <span className="error">{problem}</span>}
    </label>
  );
}
