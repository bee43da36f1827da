// Sign-in: paste an API token once (kept for this tab only), or sign in with the OIDC provider when the backend
// has one (--oidc-issuer with --oidc-client-id).

import { type FormEvent, useState } from 'react';
import useSWR from 'swr';
import { api, type Me } from '../api';
import { type OidcConfig, startOidcSignIn } from '../oidc';
import { signIn, signOut } from '../session';

export function SignInPage({ error, onSignedIn }: { error?: string; onSignedIn: () => void }) {
  const { data: config } = useSWR<{ oidc: OidcConfig | null }>('/console/config.json');
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState<string>();
  const shown = problem ?? error;
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    signIn(token);
    try {
      await api<Me>('/api/me');
      onSignedIn();
    } catch (failure) {
      signOut();
      setProblem((failure as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="signin">
      <h1>ocpp-edge console</h1>
      <form onSubmit={submit}>
        <label htmlFor="token">API token</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          value={token}
          onChange={(event) => setToken(event.target.value)}
          placeholder="a --api-token value"
        />
        <button type="submit" disabled={busy || token.trim() === ''}>
          Sign in
        </button>
      </form>
      {config?.oidc && (
        <button type="button" className="secondary" onClick={() => void startOidcSignIn(config.oidc!)}>
          Sign in with {new URL(config.oidc.issuer).host}
        </button>
      )}
      {shown && (
        <p className="error" role="alert">
          {shown}
        </p>
      )}
      <p className="hint">The token is kept in this tab only and sent as a bearer token; it never goes in a URL.</p>
    </div>
  );
}
