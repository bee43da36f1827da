// The signed-in session: a bearer token (pasted, or from the OIDC provider) kept in sessionStorage, so it lives as
// long as the tab and never appears in a URL, a cookie or the browser history.

const TOKEN_KEY = 'ocpp-edge.token';

export function currentToken(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function signIn(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token.trim());
}

export function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}
