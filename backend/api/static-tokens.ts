// Static bearer tokens from --api-token, each with its role: `ROLE:TOKEN` (viewer:…, operator:…, admin:…), or a
// bare `TOKEN`, which is admin as every token was before roles existed. Tokens are compared in constant time: both
// sides are hashed to a fixed length first (timingSafeEqual needs equal lengths, and the length itself must not
// leak), and every configured token is compared even after a match.

import { createHash, timingSafeEqual } from 'node:crypto';
import { isRole, type Principal, type Role } from './roles.js';

export interface StaticToken {
  role: Role;
  digest: Buffer;
  /** `token:` + the first 8 hex digits of SHA-256(token): what logs show instead of the token. */
  id: string;
}

export function parseTokenSpec(spec: string): StaticToken {
  const colon = spec.indexOf(':');
  const prefix = colon > 0 ? spec.slice(0, colon).toLowerCase() : '';
  const [role, token] = isRole(prefix) ? [prefix, spec.slice(colon + 1)] : (['admin', spec] as const);
  const digest = sha256(token);
  return { role, digest, id: `token:${digest.toString('hex').slice(0, 8)}` };
}

/** Why a --api-token value is unusable, or undefined (for the configuration check, which names the key). */
export function tokenSpecProblem(spec: string): string | undefined {
  const colon = spec.indexOf(':');
  const token = colon > 0 && isRole(spec.slice(0, colon).toLowerCase()) ? spec.slice(colon + 1) : spec;
  if (token === '') return 'the token after the role is empty';
  if (/\s/.test(token)) return 'a token must not contain white space';
  return undefined;
}

export function staticTokenVerifier(specs: readonly string[]): (token: string) => Principal | undefined {
  const tokens = specs.map(parseTokenSpec);
  return (offeredToken) => {
    const offered = sha256(offeredToken);
    let match: StaticToken | undefined;
    for (const token of tokens) if (timingSafeEqual(offered, token.digest) && !match) match = token;
    return match && { id: match.id, role: match.role };
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
