// A local OpenID Connect provider for tests: discovery, a JWKS with rotating keys, an authorization endpoint that
// signs the user in at once (redirecting back with a code) and a token endpoint that checks the PKCE verifier.
// It stands in for Clerk, Auth0 or Keycloak, which the code under test talks to over HTTP exactly like this.

import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type CryptoKey } from 'jose';

export interface TestOidcProvider {
  issuer: string;
  /** Signs a token with the current key; claims override the defaults (sub, aud, exp in an hour). */
  sign(claims: JWTPayload, options?: { expiresIn?: string | number; kid?: string; key?: CryptoKey }): Promise<string>;
  /** A new current signing key, published in the JWKS beside the old one. */
  rotateKey(): Promise<void>;
  /** Claims the next authorization-code sign-in puts in its token. */
  nextUser: JWTPayload;
  /** What the token endpoint was sent, for assertions. */
  tokenRequests: URLSearchParams[];
  close(): Promise<void>;
}

export async function startTestOidcProvider(audience: string): Promise<TestOidcProvider> {
  const keys: { kid: string; privateKey: CryptoKey; jwk: JWK }[] = [];
  const addKey = async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = randomBytes(6).toString('hex');
    keys.push({ kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } });
  };
  await addKey();
  const codes = new Map<string, { challenge: string; redirectUri: string; clientId: string }>();
  const tokenRequests: URLSearchParams[] = [];

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'content-type' };
    if (req.method === 'OPTIONS') return res.writeHead(204, { ...cors, 'access-control-allow-methods': 'POST' }).end();
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(res, 200, {
        issuer,
        jwks_uri: `${issuer}/jwks`,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        id_token_signing_alg_values_supported: ['ES256'],
      });
    }
    if (url.pathname === '/jwks') return json(res, 200, { keys: keys.map((key) => key.jwk) });
    if (url.pathname === '/authorize') {
      const code = randomBytes(16).toString('hex');
      codes.set(code, {
        challenge: url.searchParams.get('code_challenge') ?? '',
        redirectUri: url.searchParams.get('redirect_uri') ?? '',
        clientId: url.searchParams.get('client_id') ?? '',
      });
      const back = new URL(url.searchParams.get('redirect_uri') ?? '');
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      back.searchParams.set('iss', issuer);
      return res.writeHead(302, { location: back.href }).end();
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const form = new URLSearchParams(body);
      tokenRequests.push(form);
      const grant = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      const verifier = form.get('code_verifier') ?? '';
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      if (!grant || grant.challenge !== challenge || grant.redirectUri !== form.get('redirect_uri'))
        return json(res, 400, { error: 'invalid_grant' }, cors);
      const idToken = await provider.sign({ ...provider.nextUser, aud: grant.clientId });
      const accessToken = await provider.sign({ ...provider.nextUser, aud: audience });
      return json(
        res,
        200,
        { token_type: 'Bearer', access_token: accessToken, id_token: idToken, expires_in: 3600 },
        cors,
      );
    }
    json(res, 404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider: TestOidcProvider = {
    issuer,
    nextUser: { sub: 'user-1', email: 'operator@example.com', role: 'operator' },
    tokenRequests,
    async sign(claims, options = {}) {
      const key = keys.find((candidate) => candidate.kid === options.kid) ?? keys.at(-1)!;
      return new SignJWT({ ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: key.kid })
        .setIssuer(typeof claims.iss === 'string' ? claims.iss : issuer)
        .setSubject(claims.sub ?? 'user-1')
        .setAudience(claims.aud ?? audience)
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '1h')
        .sign(options.key ?? key.privateKey);
    },
    rotateKey: addKey,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return provider;
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}
