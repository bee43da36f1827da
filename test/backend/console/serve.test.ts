// The console as the backend serves it under /console/, through the proxy: the built app with a strict
// Content-Security-Policy (no inline script), deep links answered with the app, missing assets 404, and the
// sign-in configuration the app reads.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { CONSOLE_ROOT } from '../../../backend/console/serve.js';
import { startConsoleStack, type ConsoleStack } from '../../support/console-stack.js';
import { startTestOidcProvider, type TestOidcProvider } from '../../support/oidc-provider.js';
import { httpsRequest } from '../../support/tls-clients.js';

describe('the console under /console/', () => {
  let stack: ConsoleStack;
  let provider: TestOidcProvider;

  before(async () => {
    assert.ok(existsSync(`${CONSOLE_ROOT}/index.html`), 'the console is built (npm run build:console)');
    provider = await startTestOidcProvider('console-client');
    stack = await startConsoleStack({
      'oidc-issuer': provider.issuer,
      'oidc-audience': ['console-client'],
      'oidc-client-id': 'console-client',
    });
  });
  after(async () => {
    await stack?.close();
    await provider?.close();
  });

  const get = (path: string) => httpsRequest(stack.proxy.proxy.httpsPort, path);

  it('serves the app with a CSP that forbids inline script and framing, and the proxy security headers', async () => {
    const page = await get('/console/');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, new RegExp(`connect-src 'self' ${provider.issuer}`));
    assert.ok(page.headers['strict-transport-security'], 'HSTS from the proxy');
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    // Every script is a file of its own: nothing for 'unsafe-inline' to allow.
    for (const script of page.body.matchAll(/<script\b[^>]*>/g)) assert.match(script[0], /\bsrc="\/console\/assets\//);
    assert.doesNotMatch(page.body, /<script\b[^>]*>[^<]+<\/script>/);
    assert.doesNotMatch(page.body, /\sstyle="/);
  });

  it('answers deep links with the app and /console with a redirect; a missing asset is a 404', async () => {
    const deep = await get('/console/charge-points/CP%201');
    assert.equal(deep.status, 200);
    assert.match(deep.body, /<div id="root">/);
    const bare = await get('/console');
    assert.equal(bare.status, 301);
    assert.equal(bare.headers.location, '/console/');
    assert.equal((await get('/console/assets/index-00000000.js')).status, 404);
  });

  it('serves the bundled assets with the CSP and a long cache (their names carry a hash)', async () => {
    const asset = readdirSync(`${CONSOLE_ROOT}/assets`).find((name) => name.endsWith('.js'))!;
    const response = await get(`/console/assets/${asset}`);
    assert.equal(response.status, 200);
    assert.equal(response.body, readFileSync(`${CONSOLE_ROOT}/assets/${asset}`, 'utf8'));
    assert.match(String(response.headers['cache-control']), /immutable/);
    assert.ok(response.headers['content-security-policy']);
  });

  it("gives the app the OIDC provider's endpoints for the PKCE flow, never a secret", async () => {
    const config = await get('/console/config.json');
    assert.equal(config.status, 200);
    assert.deepEqual(JSON.parse(config.body), {
      oidc: {
        issuer: provider.issuer,
        clientId: 'console-client',
        authorizationEndpoint: `${provider.issuer}/authorize`,
        tokenEndpoint: `${provider.issuer}/token`,
        idTokenSigningAlg: 'ES256',
        scope: 'openid profile email',
      },
    });
  });
});
