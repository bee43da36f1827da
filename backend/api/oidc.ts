// Bearer JWTs from an OpenID Connect provider (Clerk, Auth0, Keycloak, …), accepted beside the static tokens so an
// operator's front end that already signs its users in can call the API with the tokens it holds.
//
// The issuer's discovery document (/.well-known/openid-configuration) names its JWKS; jose fetches and caches the
// keys, refetches on an unknown `kid` (key rotation) and checks signature, `iss`, `aud`, `exp` and `nbf`. The role
// comes from a configurable claim (a dotted path such as `realm_access.roles` for Keycloak, or a namespaced custom
// claim for Auth0 and Clerk), holding a role name or a list in which the highest role wins.

import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Logger } from '../../common/logger.js';
import { highestRole, type Principal, type Role } from './roles.js';

/**
 * A token signed by a key not in the cached JWKS refetches it, at most once per this interval: a provider's key
 * rotation is followed within seconds, and a flood of tokens with made-up key ids cannot make us hammer it.
 */
export const JWKS_COOLDOWN_MS = 5_000;

export interface OidcOptions {
  issuer: string;
  /** Accepted `aud` values; a token must name one of them. */
  audiences: readonly string[];
  /** Dotted path of the claim holding the role(s). */
  roleClaim: string;
  /** Role of a valid token whose claim holds no role; undefined: such a token is refused (403). */
  defaultRole?: Role;
  /** The console's client id, for its authorization-code flow (PKCE); optional for API-only use. */
  clientId?: string;
  /** Tolerated clock difference, seconds. */
  clockToleranceS?: number;
}

export interface OidcDiscovery {
  issuer: string;
  jwks_uri: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  end_session_endpoint?: string;
  id_token_signing_alg_values_supported?: string[];
}

export type OidcResult = { principal: Principal } | { refused: 'invalid' | 'no-role'; reason: string };

/** Whether a bearer value is shaped like a JWT (three base64url parts), so static tokens are not parsed as one. */
export function looksLikeJwt(token: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);
}

export class OidcVerifier {
  private discovery: Promise<OidcDiscovery> | undefined;
  private keys: JWTVerifyGetKey | undefined;

  constructor(
    readonly options: OidcOptions,
    private readonly logger: Logger,
  ) {}

  /** The provider's discovery document, fetched once (again after a failure). */
  discover(): Promise<OidcDiscovery> {
    this.discovery ??= fetchDiscovery(this.options.issuer).catch((error: Error) => {
      this.discovery = undefined;
      throw error;
    });
    return this.discovery;
  }

  async verify(token: string): Promise<OidcResult> {
    let payload: JWTPayload;
    try {
      if (!this.keys)
        this.keys = createRemoteJWKSet(new URL((await this.discover()).jwks_uri), {
          cooldownDuration: JWKS_COOLDOWN_MS,
        });
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.options.issuer,
        audience: [...this.options.audiences],
        clockTolerance: this.options.clockToleranceS ?? 30,
      }));
    } catch (error) {
      const reason = (error as { code?: string }).code ?? (error as Error).message;
      this.logger.debug({ reason }, 'OIDC token refused');
      return { refused: 'invalid', reason: `invalid token (${reason})` };
    }
    const claim = claimAt(payload, this.options.roleClaim);
    const role = highestRole(Array.isArray(claim) ? claim : [claim]) ?? this.options.defaultRole;
    if (!role) return { refused: 'no-role', reason: `the token's ${this.options.roleClaim} claim names no role` };
    const name = [payload.email, payload.name, payload.preferred_username].find((v) => typeof v === 'string');
    return { principal: { id: `oidc:${payload.sub ?? 'unknown'}`, role, name: name as string | undefined } };
  }
}

function claimAt(payload: JWTPayload, path: string): unknown {
  // A whole claim name first (Auth0's namespaced claims contain dots: https://example.com/role).
  if (path in payload) return payload[path];
  let value: unknown = payload;
  for (const part of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[part];
  return value;
}

async function fetchDiscovery(issuer: string): Promise<OidcDiscovery> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`OIDC discovery ${url} answered ${response.status}`);
  const document = (await response.json()) as Partial<OidcDiscovery>;
  if (typeof document.jwks_uri !== 'string') throw new Error(`OIDC discovery ${url} names no jwks_uri`);
  // OpenID Connect Discovery 1.0, section 4.3: the issuer in the document must be the one asked for.
  if (document.issuer !== issuer) throw new Error(`OIDC discovery ${url} is for issuer ${document.issuer}`);
  return document as OidcDiscovery;
}
