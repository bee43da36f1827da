// Webhooks end to end: a charger over a real OCPP WebSocket, a receiver on loopback. Subscriptions by type,
// signatures a receiver can verify, retries with back-off recorded in the delivery log, giving up, deliveries
// surviving a restart while the receiver is down, and two instances on one PostgreSQL delivering each event once.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SIGNATURE_HEADER, signatureHeader, verifySignature } from '../../../backend/events/signature.js';
import { startTestBackend, type TestBackend } from '../../support/backend-instance.js';
import { connectCharger } from '../../support/ocpp-chargers.js';
import { createStorage, STORAGE_NAMES } from '../../support/storage-targets.js';
import { waitFor } from '../../support/waiting.js';
import { startWebhookReceiver } from '../../support/webhook-receiver.js';

const FAST = { 'event-poll-interval': 0.1, 'webhook-retry-base': 0.1 };

async function subscribe(backend: TestBackend, body: Record<string, unknown>) {
  const response = await backend.api('POST', '/api/webhooks', body);
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return response.body as { id: number; secret: string };
}

describe('webhook signatures', () => {
  it('verifies its own signature, refuses another body, secret or an old timestamp', () => {
    const now = 1_767_225_600;
    const header = signatureHeader('whsec_test', '{"a":1}', now);
    assert.match(header, /^t=1767225600,v1=[0-9a-f]{64}$/);
    assert.equal(verifySignature('whsec_test', '{"a":1}', header, { nowSeconds: now + 10 }), true);
    assert.equal(verifySignature('whsec_test', '{"a":2}', header, { nowSeconds: now }), false);
    assert.equal(verifySignature('whsec_other', '{"a":1}', header, { nowSeconds: now }), false);
    assert.equal(verifySignature('whsec_test', '{"a":1}', header, { nowSeconds: now + 301 }), false);
    // During a secret rotation several v1 entries may come; any match is enough.
    const rotated = `${header},v1=${'0'.repeat(64)}`;
    assert.equal(verifySignature('whsec_test', '{"a":1}', rotated, { nowSeconds: now }), true);
  });
});

describe('webhooks', () => {
  for (const dialect of STORAGE_NAMES) {
    it(`${dialect}: delivers subscribed types signed; retries with back-off; logs attempts; gives up`, async (t) => {
      const storage = await createStorage(dialect, t);
      if (!storage) return;
      const receiver = await startWebhookReceiver();
      const backend = await startTestBackend({ database: storage.url, ...FAST, 'webhook-max-attempts': 3 });
      try {
        const invalid = await backend.api('POST', '/api/webhooks', { url: 'ftp://x', eventTypes: ['nope'] });
        assert.equal(invalid.status, 400);
        const boots = await subscribe(backend, { url: `${receiver.url}?sub=boots`, eventTypes: ['charger.booted'] });
        assert.match(boots.secret, /^whsec_/);
        const listed = await backend.api('GET', '/api/webhooks');
        assert.equal(listed.body.length, 1);
        assert.equal(listed.body[0].secret, undefined, 'the secret is shown only when it is set');

        // The receiver refuses the first two attempts (503), takes the third.
        receiver.respond = (_request, index) => (index < 2 ? 503 : 204);
        const charger = await connectCharger(backend.ocppUrl, 'CP-HOOK');
        await charger.call('BootNotification', { chargePointVendor: 'Acme', chargePointModel: 'AC22' });
        await charger.call('StatusNotification', { connectorId: 1, status: 'Available', errorCode: 'NoError' });
        await waitFor('three attempts', () => receiver.received.length >= 3, { timeoutMs: 10_000 });
        const [first, second, third] = receiver.received;
        for (const attempt of [first, second, third]) {
          assert.equal(attempt.json.type, 'charger.booted');
          assert.equal(attempt.json.data.chargePointId, 'CP-HOOK');
          assert.equal(attempt.headers['ocpp-edge-event-type'], 'charger.booted');
          assert.equal(attempt.headers['ocpp-edge-event-id'], String(attempt.json.id));
          assert.ok(verifySignature(boots.secret, attempt.body, String(attempt.headers[SIGNATURE_HEADER])));
        }
        assert.deepEqual(
          receiver.received.map((attempt) => attempt.headers['ocpp-edge-delivery-attempt']),
          ['1', '2', '3'],
        );
        // Back-off: the second wait is longer than the first (0.1 s, then 0.2 s, ±20 %).
        const waits = [second.receivedAt - first.receivedAt, third.receivedAt - second.receivedAt];
        // Lower bounds only: the back-off doubles (about 100 ms, then 200 ms, ±20 %); a slow poll may delay either.
        assert.ok(waits[0] >= 70 && waits[1] >= 150, `waits ${waits}`);
        const log = await waitFor('the delivery recorded', async () => {
          const response = await backend.api('GET', `/api/webhooks/${boots.id}/deliveries`);
          return response.body[0]?.status === 'delivered' && response.body;
        });
        assert.equal(log.length, 1, 'only the subscribed type was queued');
        assert.equal(log[0].attempts, 3);
        assert.equal(log[0].lastStatusCode, 204);
        assert.equal(log[0].lastError, null);

        // A receiver that keeps failing: three attempts, then failed with the last error kept.
        receiver.received.length = 0;
        receiver.respond = () => 500;
        const statuses = await subscribe(backend, { url: receiver.url, eventTypes: ['connector.status'] });
        await charger.call('StatusNotification', { connectorId: 1, status: 'Preparing', errorCode: 'NoError' });
        const failed = await waitFor(
          'the delivery given up',
          async () => {
            const response = await backend.api('GET', `/api/webhooks/${statuses.id}/deliveries?status=failed`);
            return response.body[0];
          },
          { timeoutMs: 10_000 },
        );
        assert.equal(failed.attempts, 3);
        assert.equal(failed.lastStatusCode, 500);
        assert.equal(failed.lastError, 'HTTP 500: receiver says no');
        assert.equal(failed.eventType, 'connector.status');
        assert.equal(receiver.received.length, 3);

        // Redelivered by hand once the receiver is fixed.
        receiver.respond = () => 200;
        const again = await backend.api('POST', `/api/webhooks/${statuses.id}/deliveries/${failed.id}/redeliver`);
        assert.equal(again.status, 202);
        await waitFor('redelivered', async () => {
          const response = await backend.api('GET', `/api/webhooks/${statuses.id}/deliveries?status=delivered`);
          return response.body.length === 1;
        });

        // Disabled and deleted subscriptions receive nothing more.
        assert.equal(
          (await backend.api('PATCH', `/api/webhooks/${statuses.id}`, { enabled: false })).body.enabled,
          false,
        );
        assert.equal((await backend.api('DELETE', `/api/webhooks/${boots.id}`)).status, 204);
        assert.equal((await backend.api('GET', `/api/webhooks/${boots.id}`)).status, 404);
        const before = receiver.received.length;
        await charger.call('BootNotification', { chargePointVendor: 'Acme', chargePointModel: 'AC22' });
        await charger.call('StatusNotification', { connectorId: 1, status: 'Charging', errorCode: 'NoError' });
        await backend.handle.eventsOut.flushed();
        await new Promise((resolve) => setTimeout(resolve, 400));
        assert.equal(receiver.received.length, before);
        await charger.close();
      } finally {
        await backend.stop();
        await receiver.close();
        await storage.cleanup();
      }
    });
  }

  it('sqlite: deliveries queued while the receiver is down survive a restart and are delivered after it', async (t) => {
    const storage = (await createStorage('sqlite', t))!;
    const receiver = await startWebhookReceiver();
    let backend = await startTestBackend({ database: storage.url, ...FAST, 'webhook-retry-base': 0.5 });
    try {
      receiver.respond = () => 503;
      await subscribe(backend, { url: receiver.url, eventTypes: ['connector.status'] });
      const charger = await connectCharger(backend.ocppUrl, 'CP-DURABLE');
      for (const value of ['Available', 'Preparing', 'Charging'])
        await charger.call('StatusNotification', { connectorId: 1, status: value, errorCode: 'NoError' });
      await waitFor('first attempts', () => receiver.received.length >= 3);
      await charger.close();
      await backend.stop();
      receiver.received.length = 0;
      receiver.respond = () => 200;
      backend = await startTestBackend({ database: storage.url, ...FAST });
      await waitFor('delivered after the restart', () => receiver.received.length >= 3, { timeoutMs: 10_000 });
      assert.deepEqual(receiver.received.map((attempt) => attempt.json.data.status).sort(), [
        'Available',
        'Charging',
        'Preparing',
      ]);
    } finally {
      await backend.stop();
      await receiver.close();
      await storage.cleanup();
    }
  });

  it('postgres: two instances deliver every event exactly once', async (t) => {
    const storage = await createStorage('postgres', t);
    if (!storage) return;
    const receiver = await startWebhookReceiver();
    const first = await startTestBackend({ database: storage.url, ...FAST, 'event-poll-interval': 0.05 });
    const second = await startTestBackend({ database: storage.url, ...FAST, 'event-poll-interval': 0.05 });
    try {
      await subscribe(first, { url: receiver.url, eventTypes: ['connector.status'] });
      const chargers = await Promise.all([
        connectCharger(first.ocppUrl, 'CP-ONE'),
        connectCharger(second.ocppUrl, 'CP-TWO'),
      ]);
      const perCharger = 40;
      await Promise.all(
        chargers.map(async (charger) => {
          for (let n = 0; n < perCharger; n++)
            await charger.call('StatusNotification', {
              connectorId: 1 + (n % 2),
              status: n % 2 ? 'Charging' : 'Available',
              errorCode: 'NoError',
            });
        }),
      );
      await waitFor('every event delivered', () => receiver.received.length >= 2 * perCharger, { timeoutMs: 20_000 });
      await new Promise((resolve) => setTimeout(resolve, 500));
      const ids = receiver.received.map((attempt) => attempt.json.id);
      assert.equal(ids.length, 2 * perCharger, 'no event delivered twice');
      assert.equal(new Set(ids).size, 2 * perCharger);
      // And no instance attempted one the other had: the attempts of both add up to the events.
      let attempts = 0;
      for (const backend of [first, second]) {
        const metrics = await backend.metrics();
        attempts += Number(
          /ocpp_edge_webhook_deliveries_total\{[^}]*outcome="delivered"[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0,
        );
      }
      assert.equal(attempts, 2 * perCharger);
      await Promise.all(chargers.map((charger) => charger.close()));
    } finally {
      await first.stop();
      await second.stop();
      await receiver.close();
      await storage.cleanup();
    }
  });
});
