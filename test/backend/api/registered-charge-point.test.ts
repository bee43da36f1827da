// The one guard for /api/charge-points/:id/… sub-resources (backend/api/registered-charge-point.ts): an unknown
// charge point gets 404 with the same body on every route that declares it, after authorization, while creating and
// listing charge points are untouched and a registered one passes through.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { API_TOKEN, startTestBackend, type TestBackend } from '../../support/backend-instance.js';
import { createStorage, type StorageTarget } from '../../support/storage-targets.js';

const VIEWER = 'viewer:viewer-token-0123';

// A sample across the route modules that use the guard: reads and commands.
const SUB_RESOURCES: Array<[method: string, path: string, body?: unknown]> = [
  ['GET', 'configuration'],
  ['GET', 'configuration/history'],
  ['GET', 'status-history'],
  ['GET', 'variables'],
  ['GET', 'security-events'],
  ['GET', 'charging-profiles'],
  ['GET', 'local-list'],
  ['POST', 'local-list/sync', { full: true }],
  ['POST', 'installed-certificates/refresh', {}],
  ['POST', 'configuration/refresh', {}],
];

describe('registered charge point guard', () => {
  let storage: StorageTarget;
  let backend: TestBackend;

  before(async (t) => {
    storage = (await createStorage('sqlite', t as never))!;
    backend = await startTestBackend({ database: storage.url, 'api-token': [API_TOKEN, VIEWER] });
  });
  after(async () => {
    await backend?.stop();
    await storage?.cleanup();
  });

  it('answers 404 naming the charge point on each sub-resource of an unknown one', async () => {
    for (const [method, path, body] of SUB_RESOURCES) {
      const response = await backend.api(method, `/api/charge-points/CP-NOWHERE/${path}`, body);
      assert.equal(response.status, 404, `${method} ${path}`);
      assert.deepEqual(
        response.body,
        { error: 'NotFound', message: 'charge point CP-NOWHERE is not registered' },
        `${method} ${path}`,
      );
    }
  });

  it('checks the role before the charge point: a viewer gets 403, not 404, for a command', async () => {
    const response = await backend.api(
      'POST',
      '/api/charge-points/CP-NOWHERE/local-list/sync',
      {},
      'viewer-token-0123',
    );
    assert.equal(response.status, 403);
  });

  it('lets creating and listing charge points through, and a registered one reaches the handler', async () => {
    assert.equal((await backend.api('GET', '/api/charge-points')).status, 200);
    assert.equal((await backend.api('PUT', '/api/charge-points/CP-HERE', {})).status, 201);
    for (const path of ['configuration', 'status-history', 'security-events', 'charging-profiles', 'local-list']) {
      const response = await backend.api('GET', `/api/charge-points/CP-HERE/${path}`);
      assert.equal(response.status, 200, path);
    }
  });
});
