// The console's components in a DOM (jsdom): a command asks for confirmation, sends the charger the command with
// the session's token and shows its answer; a viewer's buttons are disabled; the Fleet page pages by cursor.

import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { SWRConfig } from 'swr';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fetcher } from '../../console/src/api';
import { ConfirmAction } from '../../console/src/components/ConfirmAction';
import { FleetPage, fleetPath } from '../../console/src/pages/Fleet';
import { transactionsQuery } from '../../console/src/pages/Transactions';
import { signIn } from '../../console/src/session';

type Call = { url: string; init?: RequestInit };

/** Answers fetches by URL prefix; a route may give headers too (the API's X-Next-Cursor). */
function answering(routes: Record<string, unknown>, headers: Record<string, Record<string, string>> = {}) {
  const calls: Call[] = [];
  vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    const path = Object.keys(routes).find((prefix) => url.startsWith(prefix));
    const body = path === undefined ? { message: 'no route' } : routes[path];
    return new Response(JSON.stringify(body), {
      status: path === undefined ? 404 : 200,
      headers: path === undefined ? {} : headers[path],
    });
  });
  return calls;
}

beforeEach(() => signIn('operator-token-1'));
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  sessionStorage.clear();
});

describe('ConfirmAction', () => {
  it('asks before sending, sends the fields as the OCPP payload with the bearer token, shows the answer', async () => {
    const calls = answering({ '/api/charge-points/CP1/reset': { status: 'Accepted' } });
    render(
      <ConfirmAction
        label="Reset"
        path="/api/charge-points/CP1/reset"
        fields={[{ name: 'type', label: 'Type', type: 'select', options: ['Soft', 'Hard'] }]}
        describe={(v) => `${v.type} reset of CP1?`}
      />,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Reset' }));
    expect(calls).toHaveLength(0);
    expect(screen.getByText('Soft reset of CP1?')).toBeTruthy();
    fireEvent.change(screen.getByRole('combobox'), { target: { value: 'Hard' } });
    fireEvent.click(screen.getByRole('button', { name: 'Yes, reset' }));
    await waitFor(() => expect(screen.getByTestId('command-answer').textContent).toContain('Accepted'));
    expect(calls).toHaveLength(1);
    expect(calls[0]?.init?.method).toBe('POST');
    expect(JSON.parse(String(calls[0]?.init?.body))).toEqual({ type: 'Hard' });
    expect((calls[0]?.init?.headers as Record<string, string> | undefined)?.authorization).toBe(
      'Bearer operator-token-1',
    );
  });

  it('is disabled, with the reason, when the role cannot send commands', () => {
    render(<ConfirmAction label="Reset" path="/x" disabled disabledReason="operator needed" describe={() => ''} />);
    const button = screen.getByRole('button', { name: 'Reset' }) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    expect(button.title).toBe('operator needed');
  });

  it("shows the API's error when the charger is not connected", async () => {
    vi.stubGlobal(
      'fetch',
      async () => new Response(JSON.stringify({ message: 'CP1 is not connected' }), { status: 409 }),
    );
    render(<ConfirmAction label="Unlock" path="/x" describe={() => 'Unlock?'} />);
    fireEvent.click(screen.getByRole('button', { name: 'Unlock' }));
    fireEvent.click(screen.getByRole('button', { name: 'Yes, unlock' }));
    await waitFor(() =>
      expect(screen.getByTestId('command-answer').textContent).toContain('409: CP1 is not connected'),
    );
  });
});

describe('transactionsQuery', () => {
  it('asks the API for the filters the page shows: charger, tag, time range (UTC), state and flags', () => {
    const query = transactionsQuery({
      chargePointId: ' CP1 ',
      idTag: 'TAG',
      from: '2026-12-01T00:00:00Z',
      to: '',
      state: 'finished',
      flags: 'flagged',
    });
    expect(Object.fromEntries(query)).toEqual({
      chargePointId: 'CP1',
      idTag: 'TAG',
      since: '2026-12-01T00:00:00.000Z',
      active: 'false',
      flagged: 'true',
    });
  });
});

describe('FleetPage', () => {
  it('builds its query from search, state and cursor', () => {
    expect(fleetPath({ q: '  abb ', state: 'connected', cursor: 'eyJhZnRlciI6IkNQMDQ5In0' })).toBe(
      '/api/charge-points?limit=50&q=abb&connected=true&cursor=eyJhZnRlciI6IkNQMDQ5In0',
    );
    expect(fleetPath({ q: '', state: 'all' })).toBe('/api/charge-points?limit=50');
  });

  it('shows the counts and one page of chargers, and asks for the next page with the cursor the API gave', async () => {
    const page = Array.from({ length: 50 }, (_, i) => ({
      id: `CP${String(i).padStart(3, '0')}`,
      connected: i % 2 === 0,
    }));
    const calls = answering(
      {
        '/api/fleet/summary': { registered: 120, connected: 60, disconnected: 60, faulted: 2, charging: 7 },
        '/api/charge-points?limit=50&cursor=NEXT-1': [{ id: 'CP050', connected: true }],
        '/api/charge-points?limit=50': page,
      },
      { '/api/charge-points?limit=50': { 'x-next-cursor': 'NEXT-1' } },
    );
    render(
      <SWRConfig value={{ fetcher, provider: () => new Map(), dedupingInterval: 0 }}>
        <FleetPage />
      </SWRConfig>,
    );
    await waitFor(() => expect(screen.getByText('CP049')).toBeTruthy());
    expect(screen.getByTestId('fleet-counts').textContent).toContain('120registered');
    expect(screen.getByTestId('fleet-counts').textContent).toContain('2faulted');
    fireEvent.click(screen.getByRole('button', { name: 'Next' }));
    await waitFor(() => expect(screen.getByText('CP050')).toBeTruthy());
    expect(calls.some((call) => call.url === '/api/charge-points?limit=50&cursor=NEXT-1')).toBe(true);
    // The last page names no next one: Next is disabled.
    expect((screen.getByRole('button', { name: 'Next' }) as HTMLButtonElement).disabled).toBe(true);
  });
});
