// Sign-in with the operator's OpenID Connect provider: the authorization-code flow with PKCE (RFC 7636) for a
// public client, by oauth4webapi. The code verifier and state wait in sessionStorage during the round trip; the
// token the API gets is the access token when it is a JWT (Auth0, Keycloak with an audience), else the ID token
// (Clerk), so --oidc-audience names the API's audience or the client id accordingly. No token is put in a URL:
// the provider returns a one-time code, which the page exchanges at the token endpoint and then removes from the
// address bar.

import * as oauth from 'oauth4webapi';
import { signIn } from './session';

export interface OidcConfig {
  issuer: string;
  clientId: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  idTokenSigningAlg: string;
  scope: string;
}

const PENDING_KEY = 'ocpp-edge.oidc-pending';
const CALLBACK_PATH = '/console/callback';

interface Pending {
  verifier: string;
  state: string;
  config: OidcConfig;
}

export function redirectUri(): string {
  return `${location.origin}${CALLBACK_PATH}`;
}

export function isOidcCallback(): boolean {
  return location.pathname === CALLBACK_PATH && sessionStorage.getItem(PENDING_KEY) !== null;
}

export async function startOidcSignIn(config: OidcConfig): Promise<void> {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const pending: Pending = { verifier, state, config };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(config.authorizationEndpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('redirect_uri', redirectUri());
  url.searchParams.set('scope', config.scope);
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  location.assign(url.href);
}

export async function completeOidcSignIn(): Promise<void> {
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null') as Pending | null;
  sessionStorage.removeItem(PENDING_KEY);
  const current = new URL(location.href);
  // The code leaves the address bar before anything else can read or log it.
  history.replaceState(null, '', '/console/');
  if (!pending) throw new Error('no sign-in was started in this tab');
  const server: oauth.AuthorizationServer = {
    issuer: pending.config.issuer,
    authorization_endpoint: pending.config.authorizationEndpoint,
    token_endpoint: pending.config.tokenEndpoint,
  };
  const client: oauth.Client = {
    client_id: pending.config.clientId,
    id_token_signed_response_alg: pending.config.idTokenSigningAlg,
  };
  const params = oauth.validateAuthResponse(server, client, current, pending.state);
  const response = await oauth.authorizationCodeGrantRequest(
    server,
    client,
    oauth.None(),
    params,
    redirectUri(),
    pending.verifier,
    // Plain HTTP only to a provider on this machine (development); the backend refuses any other http:// issuer.
    { [oauth.allowInsecureRequests]: isLoopback(pending.config.tokenEndpoint) },
  );
  const result = await oauth.processAuthorizationCodeResponse(server, client, response);
  const token = isJwt(result.access_token) ? result.access_token : result.id_token;
  if (!token) throw new Error('the provider returned neither a JWT access token nor an ID token');
  signIn(token);
}

function isLoopback(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  return protocol === 'http:' && (hostname === 'localhost' || hostname === '[::1]' || hostname.startsWith('127.'));
}

function isJwt(token: string | undefined): token is string {
  return token !== undefined && /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);
}
