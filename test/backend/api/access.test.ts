// Who may do what on /api/: static tokens with roles (viewer < operator < admin), OIDC JWTs verified against the
// provider's JWKS, 401 for no or a bad token, 403 for a role too low, and every change logged with who sent it.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JWKS_COOLDOWN_MS } from '../../../backend/api/oidc.js';
import { startTestBackend, type TestBackend } from '../../support/backend-instance.js';
import { startTestOidcProvider, type TestOidcProvider } from '../../support/oidc-provider.js';
import { createStorage, type StorageTarget } from '../../support/storage-targets.js';

const VIEWER = 'viewer:viewer-token-0123';
const OPERATOR = 'operator:operator-token-0123';
const ADMIN = 'admin-token-0123'; // a bare token is admin
const AUDIENCE = 'https://api.ocpp-edge.test';

describe('API roles and sign-in', () => {
  let storage: StorageTarget;
  let backend: TestBackend;
  let provider: TestOidcProvider;
  const logLines: Array<Record<string, unknown>> = [];

  before(async (t) => {
    storage = (await createStorage('sqlite', t as never))!;
    provider = await startTestOidcProvider(AUDIENCE);
    backend = await startTestBackend(
      {
        database: storage.url,
        'api-token': [VIEWER, OPERATOR, ADMIN],
        'oidc-issuer': provider.issuer,
        'oidc-audience': [AUDIENCE],
        'oidc-role-claim': 'realm_access.roles',
        'log-level': 'info',
      },
      { logLines },
    );
    const created = await backend.api('PUT', '/api/charge-points/CP-ROLES', {}, ADMIN);
    assert.equal(created.status, 201);
  });
  after(async () => {
    await backend?.stop();
    await provider?.close();
    await storage?.cleanup();
  });

  const tokenOf = (spec: string) => spec.slice(spec.indexOf(':') + 1);

  it('lets a viewer read but not send a command or write (403 naming the role needed)', async () => {
    const viewer = tokenOf(VIEWER);
    assert.equal((await backend.api('GET', '/api/charge-points', undefined, viewer)).status, 200);
    const me = await backend.api('GET', '/api/me', undefined, viewer);
    assert.equal(me.body.role, 'viewer');
    assert.match(me.body.id, /^token:[0-9a-f]{8}$/);
    const command = await backend.api('POST', '/api/charge-points/CP-ROLES/reset', { type: 'Soft' }, viewer);
    assert.equal(command.status, 403);
    assert.match(command.body.message, /needs the operator role; the token has viewer/);
    assert.equal((await backend.api('PUT', '/api/id-tags/TAG1', { status: 'Accepted' }, viewer)).status, 403);
  });

  it('lets an operator send commands but not change id tags or charge points', async () => {
    const operator = tokenOf(OPERATOR);
    // Past the role check: the charger is not connected, so the command itself answers 409.
    const command = await backend.api('POST', '/api/charge-points/CP-ROLES/reset', { type: 'Soft' }, operator);
    assert.equal(command.status, 409);
    assert.equal((await backend.api('PUT', '/api/id-tags/TAG1', { status: 'Accepted' }, operator)).status, 403);
    assert.equal((await backend.api('DELETE', '/api/charge-points/CP-ROLES', undefined, operator)).status, 403);
    // The generic call can send anything (ChangeConfiguration AuthorizationKey included): admin only.
    const call = await backend.api(
      'POST',
      '/api/charge-points/CP-ROLES/call',
      { action: 'ClearCache', payload: {} },
      operator,
    );
    assert.equal(call.status, 403);
  });

  it('lets an admin (a bare token) do everything, and logs each change with who sent it, never the token', async () => {
    assert.equal((await backend.api('PUT', '/api/id-tags/TAG1', { status: 'Accepted' }, ADMIN)).status, 201);
    const line = logLines.find(
      (entry) => entry.msg === 'api command' && entry.url === '/api/id-tags/TAG1' && entry.status === 201,
    );
    assert.ok(line, 'an api command line');
    assert.equal(line.role, 'admin');
    assert.match(String(line.who), /^token:[0-9a-f]{8}$/);
    assert.doesNotMatch(JSON.stringify(logLines), new RegExp(ADMIN));
  });

  it('accepts a JWT from the OIDC provider with its role from a dotted claim (the highest role wins)', async () => {
    const jwt = await provider.sign({
      sub: 'alice',
      email: 'alice@example.com',
      realm_access: { roles: ['offline', 'viewer', 'operator'] },
    });
    const me = await backend.api('GET', '/api/me', undefined, jwt);
    assert.equal(me.status, 200);
    assert.deepEqual(me.body, { id: 'oidc:alice', role: 'operator', name: 'alice@example.com' });
    assert.equal((await backend.api('POST', '/api/charge-points/CP-ROLES/reset', { type: 'Soft' }, jwt)).status, 409);
    assert.equal((await backend.api('PUT', '/api/id-tags/TAG2', { status: 'Accepted' }, jwt)).status, 403);
  });

  it('refuses JWTs that are expired, for another audience or issuer, or signed by an unknown key (401)', async () => {
    const claims = { sub: 'mallory', realm_access: { roles: ['admin'] } };
    const expired = await provider.sign(claims, { expiresIn: Math.floor(Date.now() / 1000) - 3600 });
    const otherAudience = await provider.sign({ ...claims, aud: 'https://other.example' });
    const otherIssuer = await provider.sign({ ...claims, iss: 'https://evil.example' });
    const stranger = await startTestOidcProvider(AUDIENCE);
    const foreignKey = await stranger.sign({ ...claims, iss: provider.issuer });
    await stranger.close();
    for (const [name, token] of Object.entries({ expired, otherAudience, otherIssuer, foreignKey })) {
      const answer = await backend.api('GET', '/api/me', undefined, token);
      assert.equal(answer.status, 401, name);
      assert.equal(answer.body.error, 'Unauthorized', name);
    }
  });

  it('refuses a valid JWT whose claim names no role (403), and follows a key rotation', async () => {
    const noRole = await provider.sign({ sub: 'bob', realm_access: { roles: ['offline_access'] } });
    assert.equal((await backend.api('GET', '/api/me', undefined, noRole)).status, 403);
    await provider.rotateKey();
    // jose refetches the JWKS for an unknown key id at most once per cooldown (backend/api/oidc.ts).
    await new Promise((resolve) => setTimeout(resolve, JWKS_COOLDOWN_MS + 100));
    const rotated = await provider.sign({ sub: 'carol', realm_access: { roles: ['viewer'] } });
    assert.equal((await backend.api('GET', '/api/me', undefined, rotated)).status, 200);
  });
});

describe('API role configuration', () => {
  it('refuses an http:// OIDC issuer that is not on loopback, naming the key', async (t) => {
    const storage = (await createStorage('sqlite', t as never))!;
    try {
      await assert.rejects(
        startTestBackend({ database: storage.url, 'oidc-issuer': 'http://id.example.com', 'oidc-audience': ['x'] }),
        (error: Error & { key?: string }) => error.key === '--oidc-issuer' && /https:\/\//.test(error.message),
      );
    } finally {
      await storage.cleanup();
    }
  });

  it('refuses --oidc-issuer without --oidc-audience, naming the key', async (t) => {
    const storage = (await createStorage('sqlite', t as never))!;
    try {
      await assert.rejects(
        startTestBackend({ database: storage.url, 'oidc-issuer': 'https://id.example.com' }),
        (error: Error & { key?: string }) => error.key === '--oidc-audience',
      );
      await assert.rejects(
        startTestBackend({ database: storage.url, 'oidc-audience': ['x'] }),
        (error: Error & { key?: string }) =>
          error.key === '--oidc-audience' && /needs --oidc-issuer/.test(error.message),
      );
    } finally {
      await storage.cleanup();
    }
  });
});
