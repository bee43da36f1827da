// The console's frame: sign-in gate, navigation, the live event stream, and the routes of the five pages.

import { useEffect, useState } from 'react';
import useSWR, { SWRConfig } from 'swr';
import { Link, Route, Router, Switch, useLocation } from 'wouter';
import { fetcher, type Me } from './api';
import { completeOidcSignIn, isOidcCallback } from './oidc';
import { LiveEvents } from './live-events';
import { ChargerPage } from './pages/Charger';
import { EdgePage } from './pages/Edge';
import { FleetPage } from './pages/Fleet';
import { IdTagsPage } from './pages/IdTags';
import { SignInPage } from './pages/SignIn';
import { TransactionsPage } from './pages/Transactions';
import { currentToken, signOut } from './session';

export function App() {
  return (
    <SWRConfig value={{ fetcher, revalidateOnFocus: false, shouldRetryOnError: false }}>
      <Router base="/console">
        <Gate />
      </Router>
    </SWRConfig>
  );
}

function Gate() {
  const [token, setToken] = useState(currentToken());
  const [callbackError, setCallbackError] = useState<string>();
  const [, navigate] = useLocation();

  useEffect(() => {
    if (!isOidcCallback()) return;
    completeOidcSignIn().then(
      () => {
        setToken(currentToken());
        navigate('/', { replace: true });
      },
      (error: Error) => setCallbackError(`sign-in failed: ${error.message}`),
    );
  }, [navigate]);

  if (!token) return <SignInPage error={callbackError} onSignedIn={() => setToken(currentToken())} />;
  return (
    <Shell
      onSignOut={() => {
        signOut();
        setToken(undefined);
      }}
    />
  );
}

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const { data: me, error } = useSWR<Me>('/api/me');
  if (error) return <SignInPage error={error.message} onSignedIn={() => location.reload()} />;
  return (
    <div className="shell">
      <header className="topbar">
        <Link href="/" className="brand">
          ocpp-edge
        </Link>
        <nav>
          <NavLink href="/">Fleet</NavLink>
          <NavLink href="/transactions">Transactions</NavLink>
          <NavLink href="/id-tags">Id tags</NavLink>
          <NavLink href="/edge">Edge</NavLink>
        </nav>
        <div className="who">
          <LiveEvents />
          {me && (
            <span title={me.id} data-testid="who">
              {me.name ?? me.id} · {me.role}
            </span>
          )}
          <button type="button" className="link" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main>
        <Switch>
          <Route path="/">{() => <FleetPage />}</Route>
          <Route path="/charge-points/:id">
            {(params) => <ChargerPage id={decodeURIComponent(params.id)} me={me} />}
          </Route>
          <Route path="/transactions">{() => <TransactionsPage />}</Route>
          <Route path="/id-tags">{() => <IdTagsPage me={me} />}</Route>
          <Route path="/edge">{() => <EdgePage />}</Route>
          <Route>{() => <p className="empty">No such page.</p>}</Route>
        </Switch>
      </main>
    </div>
  );
}

function NavLink({ href, children }: { href: string; children: string }) {
  const [location] = useLocation();
  const active = href === '/' ? location === '/' || location.startsWith('/charge-points') : location.startsWith(href);
  return (
    <Link href={href} className={active ? 'active' : undefined}>
      {children}
    </Link>
  );
}
