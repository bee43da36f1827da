// Authorization: Bearer on everything under /api/: a static token (static-tokens.ts) or, with --oidc-issuer, a JWT
// from the OpenID Connect provider (oidc.ts). The principal it resolves to is set on the request (for the access
// log and the console's "who am I"), and its role must allow the route (roles.ts): 401 without a valid token, 403
// with one whose role is too low.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { looksLikeJwt, type OidcVerifier } from './oidc.js';
import { neededRole, roleAllows, type Principal } from './roles.js';
import { staticTokenVerifier } from './static-tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** The role a route needs (roles.ts); without one, GET needs viewer and other methods admin. */
    role?: import('./roles.js').Role;
  }
}

export function bearerAuth(tokens: readonly string[], oidc?: OidcVerifier) {
  const verifyStatic = staticTokenVerifier(tokens);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const match = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '');
    if (!match) return unauthorized(reply, 'Missing Authorization: Bearer token');
    const token = match[1] ?? '';
    let principal = verifyStatic(token);
    if (!principal && oidc && looksLikeJwt(token)) {
      const result = await oidc.verify(token);
      if ('refused' in result) {
        if (result.refused === 'invalid') return unauthorized(reply, `Invalid bearer token: ${result.reason}`);
        return forbidden(reply, result.reason);
      }
      principal = result.principal;
    }
    if (!principal) return unauthorized(reply, 'Invalid bearer token');
    request.principal = principal;
    const needed = neededRole(request.method, request.routeOptions.config?.role);
    if (!roleAllows(principal.role, needed))
      return forbidden(reply, `this needs the ${needed} role; the token has ${principal.role}`);
  };
}

async function unauthorized(reply: FastifyReply, message: string): Promise<void> {
  await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'Unauthorized', message });
}

async function forbidden(reply: FastifyReply, message: string): Promise<void> {
  await reply.code(403).send({ error: 'Forbidden', message });
}
