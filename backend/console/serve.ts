// The operator console under /console/: the single-page app that `npm run build:console` (run by `npm ci`) puts in
// dist/console/, served same-origin with the API so no CORS is needed. Every response carries a strict
// Content-Security-Policy: scripts, styles and connections only from this origin, no inline script, no framing.
// Deep links (/console/charge-points/CP1) get index.html; the app routes them.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OidcVerifier } from '../api/oidc.js';

/** dist/console, beside dist/backend. */
export const CONSOLE_ROOT = fileURLToPath(new URL('../../console/', import.meta.url));

export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  // The OIDC provider's token endpoint is called from the page (authorization code + PKCE).
  "connect-src 'self' %OIDC%",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

export interface ConsoleOptions {
  root?: string;
  oidc?: OidcVerifier;
}

export async function consoleRoutes(app: FastifyInstance, options: ConsoleOptions): Promise<void> {
  const root = options.root ?? CONSOLE_ROOT;
  const built = existsSync(`${root}/index.html`);
  let csp = CONSOLE_CSP.replace(' %OIDC%', '');
  if (options.oidc) csp = CONSOLE_CSP.replace('%OIDC%', new URL(options.oidc.options.issuer).origin);
  const secure = (reply: FastifyReply) =>
    reply
      .header('content-security-policy', csp)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer');

  app.get('/console', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/', 301));

  app.get('/console/config.json', { schema: { hide: true } }, async (_request, reply) => {
    secure(reply).header('cache-control', 'no-store');
    if (!options.oidc) return { oidc: null };
    const { issuer, clientId } = options.oidc.options;
    if (!clientId) return { oidc: null };
    try {
      const discovery = await options.oidc.discover();
      return {
        oidc: {
          issuer,
          clientId,
          authorizationEndpoint: discovery.authorization_endpoint,
          tokenEndpoint: discovery.token_endpoint,
          // The algorithm the provider signs ID tokens with (RS256 when it does not say, as OpenID Connect says).
          idTokenSigningAlg: discovery.id_token_signing_alg_values_supported?.[0] ?? 'RS256',
          scope: 'openid profile email',
        },
      };
    } catch (error) {
      return { oidc: null, oidcError: (error as Error).message };
    }
  });

  if (!built) {
    app.get('/console/*', { schema: { hide: true } }, async (_request, reply) =>
      secure(reply)
        .code(503)
        .type('text/plain')
        .send('The console is not built: run `npm run build:console` (npm ci does it).\n'),
    );
    return;
  }

  await app.register(fastifyStatic, {
    root,
    prefix: '/console/',
    index: false,
    wildcard: false,
    decorateReply: true,
    setHeaders(reply, path) {
      secure(reply);
      // Vite names assets by content hash: they never change under one name.
      reply.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  const index = async (request: FastifyRequest, reply: FastifyReply) => {
    // A missing asset is a 404, not the app: a stale page asking for an old bundle must fail visibly.
    if (request.url.startsWith('/console/assets/'))
      return secure(reply).code(404).send({ error: 'NotFound', message: 'no such console asset' });
    return secure(reply).header('cache-control', 'no-cache').sendFile('index.html', root);
  };
  app.get('/console/', { schema: { hide: true } }, index);
  app.get('/console/*', { schema: { hide: true } }, index);
}
