// Signing in to the console with the operator's OpenID Connect provider, in a real browser: the authorization-code
// flow with PKCE against a provider on loopback, the code exchanged for a token the API accepts, the role from
// the token, and no code or token left in the address bar.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { chromiumUnavailable, launchChromium } from '../support/browser.js';
import { startConsoleStack, type ConsoleStack } from '../support/console-stack.js';
import { startTestOidcProvider, type TestOidcProvider } from '../support/oidc-provider.js';

const API_AUDIENCE = 'https://api.console.test';
const skip = chromiumUnavailable();

describe('console sign-in with OpenID Connect', { skip }, () => {
  let provider: TestOidcProvider;
  let stack: ConsoleStack;
  let browser: Browser;

  before(async () => {
    provider = await startTestOidcProvider(API_AUDIENCE);
    stack = await startConsoleStack({
      'oidc-issuer': provider.issuer,
      'oidc-audience': [API_AUDIENCE],
      'oidc-client-id': 'ocpp-edge-console',
    });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
    await provider?.close();
  });

  it('signs in by authorization code with PKCE and uses the role the token carries', async () => {
    provider.nextUser = { sub: 'dana', email: 'dana@example.com', role: 'viewer' };
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`${stack.url}/console/`);
    await page.getByRole('button', { name: /Sign in with 127\.0\.0\.1/ }).click();
    await page.getByTestId('who').filter({ hasText: 'dana@example.com · viewer' }).waitFor({ timeout: 15_000 });
    // The page sent a verifier that matches its challenge (the provider refuses otherwise), and no secret.
    const exchange = provider.tokenRequests.at(-1)!;
    assert.equal(exchange.get('grant_type'), 'authorization_code');
    assert.equal(exchange.get('client_id'), 'ocpp-edge-console');
    assert.match(exchange.get('code_verifier') ?? '', /^[\w-]{43,128}$/);
    assert.equal(exchange.get('client_secret'), null);
    assert.equal(page.url(), `${stack.url}/console/`);
    // A viewer: the API answers, the commands stay closed.
    await page.goto(`${stack.url}/console/edge`);
    await page.getByTestId('proxy').waitFor();
    await context.close();
  });

  it('does not sign in when the callback state does not match the one the tab started with', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`${stack.url}/console/`);
    const pending = {
      verifier: 'x'.repeat(43),
      state: 'expected-state',
      config: {
        issuer: provider.issuer,
        clientId: 'ocpp-edge-console',
        authorizationEndpoint: `${provider.issuer}/authorize`,
        tokenEndpoint: `${provider.issuer}/token`,
        idTokenSigningAlg: 'ES256',
        scope: 'openid',
      },
    };
    await page.evaluate(`sessionStorage.setItem('ocpp-edge.oidc-pending', ${JSON.stringify(JSON.stringify(pending))})`);
    await page.goto(`${stack.url}/console/callback?code=forged&state=other-state`);
    await page.getByRole('alert').waitFor();
    assert.equal(await page.getByTestId('who').count(), 0);
    assert.equal(await page.evaluate("sessionStorage.getItem('ocpp-edge.token')"), null);
    assert.match((await page.getByRole('alert').textContent()) ?? '', /sign-in failed/);
    await context.close();
  });
});
