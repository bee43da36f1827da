// The REST API's envelope: Bearer tokens on /api/, public /health, metrics only on the private metrics listener,
// OpenAPI at /docs, CORS for the
// configured origins only.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { API_TOKEN, startTestBackend, type TestBackend } from '../support/backend-instance.js';
import { createStorage, type StorageTarget } from '../support/storage-targets.js';

describe('REST API envelope', () => {
  let storage: StorageTarget;
  let backend: TestBackend;

  before(async (t) => {
    storage = (await createStorage('sqlite', t as never))!;
    backend = await startTestBackend({
      database: storage.url,
      'cors-origin': ['https://lyncpower.com'],
      'api-token': [API_TOKEN, 'second-token'],
    });
  });
  after(async () => {
    await backend?.stop();
    await storage?.cleanup();
  });

  it('requires a Bearer token on everything under /api/ (401 JSON otherwise)', async () => {
    for (const path of ['/api/', '/api/charge-points', '/api/transactions', '/api/id-tags/X']) {
      const missing = await backend.api('GET', path, undefined, null);
      assert.equal(missing.status, 401, path);
      assert.equal(missing.body.error, 'Unauthorized');
      assert.equal(missing.headers.get('www-authenticate'), 'Bearer');
      assert.equal((await backend.api('GET', path, undefined, 'wrong-token')).status, 401, path);
    }
    assert.equal((await backend.api('GET', '/api/charge-points', undefined, 'second-token')).status, 200);
    const basic = await fetch(`${backend.httpUrl}/api/charge-points`, {
      headers: { authorization: `Basic ${Buffer.from(`x:${API_TOKEN}`).toString('base64')}` },
    });
    assert.equal(basic.status, 401);
  });

  it('serves /health publicly with the storage status', async () => {
    const health = await backend.api('GET', '/health', undefined, null);
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, {
      status: 'ok',
      storage: { status: 'up', dialect: 'sqlite' },
      connectedChargePoints: 0,
    });
  });

  it('serves /metrics on the private metrics listener only, never on the port the proxy forwards to', async () => {
    const metrics = await backend.metrics();
    assert.match(metrics, /^ocpp_edge_connected_charge_points\{process="backend"\} 0$/m);
    for (const path of ['/metrics', '/metrics/', '/METRICS']) {
      const onPublicPort = await backend.api('GET', path, undefined, null);
      assert.equal(onPublicPort.status, 404, path);
      assert.doesNotMatch(JSON.stringify(onPublicPort.body), /ocpp_edge_|# HELP/, path);
    }
    const healthz = await fetch(`http://127.0.0.1:${backend.handle.metricsPort}/healthz`);
    assert.equal(healthz.status, 200);
  });

  it('tells nothing of the storage error on the public /health but its kind', async (t) => {
    t.mock.method(backend.handle.store, 'ping', async () => {
      throw new Error('password authentication failed for user "ocpp" at 10.0.0.5:5432');
    });
    const health = await backend.api('GET', '/health', undefined, null);
    assert.equal(health.status, 503);
    assert.deepEqual(health.body.storage, { status: 'down', dialect: 'sqlite', error: 'query failed' });
  });

  it("serves OpenAPI at /docs with every route's schema", async () => {
    const ui = await fetch(`${backend.httpUrl}/docs`);
    assert.equal(ui.status, 200);
    assert.match(await ui.text(), /swagger/i);
    const spec = await backend.api('GET', '/docs/json', undefined, null);
    assert.equal(spec.status, 200);
    assert.equal(spec.body.openapi.slice(0, 2), '3.');
    for (const path of [
      '/api/charge-points/{id}',
      '/api/charge-points/{id}/remote-start',
      '/api/charge-points/{id}/call',
      '/api/transactions',
      '/api/id-tags/{idTag}',
    ]) {
      assert.ok(spec.body.paths[path], `${path} documented`);
    }
    assert.ok(
      spec.body.paths['/api/charge-points/{id}/remote-start'].post.requestBody.content['application/json'].schema
        .properties.idTag,
    );
  });

  it('allows CORS for configured origins only', async () => {
    const allowed = await fetch(`${backend.httpUrl}/api/charge-points`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://lyncpower.com',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://lyncpower.com');
    const other = await fetch(`${backend.httpUrl}/health`, { headers: { origin: 'https://evil.example' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });

  it('takes a PUT without a body as "register with defaults"', async () => {
    const chargePoint = await fetch(`${backend.httpUrl}/api/charge-points/CP-EMPTY`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    assert.equal(chargePoint.status, 201);
    const idTag = await fetch(`${backend.httpUrl}/api/id-tags/TAG-EMPTY`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    assert.equal(idTag.status, 201);
    assert.equal(((await idTag.json()) as { status: string }).status, 'Accepted');
  });

  it('validates REST bodies and parameters with 400 naming the field', async () => {
    const badStatus = await backend.api('PUT', '/api/id-tags/T1', { status: 'Maybe' });
    assert.equal(badStatus.status, 400);
    assert.match(badStatus.body.message, /status/);
    const badId = await backend.api('PUT', `/api/charge-points/${'X'.repeat(49)}`, {});
    assert.equal(badId.status, 400);
    assert.match(badId.body.message, /id/);
    const badQuery = await backend.api('GET', '/api/transactions?limit=0');
    assert.equal(badQuery.status, 400);
    assert.match(badQuery.body.message, /limit/);
  });
});
