// GET /api/events: Server-Sent Events of what chargers do over a real OCPP WebSocket, filtered by type and charge
// point, resumed with Last-Event-ID after a disconnect and after a restart, on SQLite and PostgreSQL; and a
// second instance on the same PostgreSQL streams the first one's events.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RPCClient } from 'ocpp-rpc';
import { API_TOKEN, startTestBackend, type TestBackend } from '../../support/backend-instance.js';
import { connectCharger } from '../../support/ocpp-chargers.js';
import { startProxyUnderTest } from '../../support/proxy-under-test.js';
import { openEventStream } from '../../support/sse-client.js';
import { createStorage, STORAGE_NAMES } from '../../support/storage-targets.js';
import { waitFor } from '../../support/waiting.js';

const auth = { authorization: `Bearer ${API_TOKEN}` };
const FAST = { 'event-poll-interval': 0.1 };

async function bootCharger(backend: TestBackend, id: string) {
  const charger = await connectCharger(backend.ocppUrl, id);
  await charger.call('BootNotification', { chargePointVendor: 'Acme', chargePointModel: 'AC22' });
  return charger;
}

async function status(charger: Awaited<ReturnType<typeof bootCharger>>, connectorId: number, value: string) {
  await charger.call('StatusNotification', { connectorId, status: value, errorCode: 'NoError' });
}

describe('GET /api/events (Server-Sent Events)', () => {
  it('refuses a request without the bearer token (401)', async (t) => {
    const storage = (await createStorage('sqlite', t))!;
    const backend = await startTestBackend({ database: storage.url });
    try {
      const stream = await openEventStream(`${backend.httpUrl}/api/events`);
      assert.equal(stream.status, 401);
      stream.close();
    } finally {
      await backend.stop();
      await storage.cleanup();
    }
  });

  it('is in the OpenAPI document with an example of every event type, as are the webhooks', async (t) => {
    const storage = (await createStorage('sqlite', t))!;
    const backend = await startTestBackend({ database: storage.url });
    try {
      const { status, body } = await backend.api('GET', '/docs/json');
      assert.equal(status, 200);
      const stream = body.paths['/api/events'].get.responses['200'].content['text/event-stream'];
      assert.match(stream.example, /^id: \d+\nevent: charger.connected\ndata: \{/);
      const types = stream.schema.examples.map((event: { type: string }) => event.type);
      assert.ok(types.includes('transaction.started') && types.includes('group.limit.changed'), String(types));
      for (const path of ['/api/webhooks', '/api/webhooks/{id}', '/api/webhooks/{id}/deliveries'])
        assert.ok(body.paths[path], `${path} documented`);
      assert.match(body.paths['/api/webhooks'].post.description, /HMAC-SHA256/);
    } finally {
      await backend.stop();
      await storage.cleanup();
    }
  });

  for (const dialect of STORAGE_NAMES) {
    it(`${dialect}: streams events live, filters, resumes after a disconnect and after a restart`, async (t) => {
      const storage = await createStorage(dialect, t);
      if (!storage) return;
      let backend = await startTestBackend({ database: storage.url, ...FAST });
      try {
        const all = await openEventStream(`${backend.httpUrl}/api/events`, auth);
        assert.equal(all.status, 200);
        assert.match(String(all.headers['content-type']), /^text\/event-stream/);
        const onlyStatus = await openEventStream(
          `${backend.httpUrl}/api/events?types=connector.status,charger.booted&chargePointId=CP-B`,
          auth,
        );

        const a = await bootCharger(backend, 'CP-A');
        const b = await bootCharger(backend, 'CP-B');
        await status(a, 1, 'Available');
        await status(b, 1, 'Preparing');
        await all.waitForEvents(6);
        assert.deepEqual(
          all.events().map((event) => [event.type, event.data.chargePointId]),
          [
            ['charger.connected', 'CP-A'],
            ['charger.booted', 'CP-A'],
            ['charger.connected', 'CP-B'],
            ['charger.booted', 'CP-B'],
            ['connector.status', 'CP-A'],
            ['connector.status', 'CP-B'],
          ],
        );
        // SSE framing: the id and event fields are the event's id and type; ids increase.
        const ids = all.messages.map((message) => Number(message.id));
        assert.deepEqual(
          ids,
          all.events().map((event) => event.id),
        );
        assert.ok(ids.every((id, index) => index === 0 || id > ids[index - 1]));
        assert.deepEqual(
          all.messages.map((message) => message.event),
          all.events().map((event) => event.type),
        );
        await onlyStatus.waitForEvents(2);
        assert.deepEqual(
          onlyStatus.events().map((event) => event.type),
          ['charger.booted', 'connector.status'],
        );

        // Disconnect, miss two events, come back with Last-Event-ID: the two first, then live, nothing twice.
        const lastSeen = ids[ids.length - 1];
        all.close();
        onlyStatus.close();
        await status(a, 1, 'Preparing');
        await status(a, 1, 'Charging');
        await backend.handle.eventsOut.flushed();
        const resumed = await openEventStream(`${backend.httpUrl}/api/events`, {
          ...auth,
          'last-event-id': String(lastSeen),
        });
        await resumed.waitForEvents(2);
        await status(b, 1, 'Charging');
        await resumed.waitForEvents(3);
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.deepEqual(
          resumed.events().map((event) => [event.data.chargePointId, event.data.status]),
          [
            ['CP-A', 'Preparing'],
            ['CP-A', 'Charging'],
            ['CP-B', 'Charging'],
          ],
        );
        const beforeRestart = resumed.events().at(-1)!.id;
        resumed.close();

        // A restart: the events are in the database, so the stream resumes on the new process.
        await a.close();
        await b.close();
        await backend.stop();
        backend = await startTestBackend({ database: storage.url, ...FAST });
        const afterRestart = await openEventStream(`${backend.httpUrl}/api/events?lastEventId=${beforeRestart}`, auth);
        await afterRestart.waitForEvents(2);
        assert.deepEqual(
          afterRestart.events().map((event) => [event.type, event.data.chargePointId]),
          [
            ['charger.disconnected', 'CP-A'],
            ['charger.disconnected', 'CP-B'],
          ],
        );
        afterRestart.close();
      } finally {
        await backend.stop();
        await storage.cleanup();
      }
    });
  }

  it('postgres: a client of one instance hears the events of a charger on another', async (t) => {
    const storage = await createStorage('postgres', t);
    if (!storage) return;
    const first = await startTestBackend({ database: storage.url, ...FAST });
    const second = await startTestBackend({ database: storage.url, ...FAST });
    try {
      const stream = await openEventStream(`${second.httpUrl}/api/events?types=connector.status`, auth);
      const charger = await bootCharger(first, 'CP-ELSEWHERE');
      for (const value of ['Available', 'Preparing', 'Charging', 'SuspendedEV', 'Finishing'])
        await status(charger, 1, value);
      await stream.waitForEvents(5);
      assert.deepEqual(
        stream.events().map((event) => event.data.status),
        ['Available', 'Preparing', 'Charging', 'SuspendedEV', 'Finishing'],
      );
      stream.close();
      await charger.close();
    } finally {
      await first.stop();
      await second.stop();
      await storage.cleanup();
    }
  });

  it('sends keep-alive comments on an idle stream, and ends streams when the backend stops', async (t) => {
    const storage = (await createStorage('sqlite', t))!;
    const backend = await startTestBackend({ database: storage.url, 'event-keepalive': 1 });
    try {
      const stream = await openEventStream(`${backend.httpUrl}/api/events`, auth);
      await waitFor('a keep-alive comment', () => stream.comments.includes('keepalive'), { timeoutMs: 3000 });
      await backend.stop();
      await stream.closed;
    } finally {
      await backend.stop();
      await storage.cleanup();
    }
  });
});

describe('GET /api/events through the edge', () => {
  it('streams over HTTPS through the proxy, a charger on wss, and outlives the upstream idle timeout', async (t) => {
    const storage = (await createStorage('sqlite', t))!;
    const backend = await startTestBackend({ database: storage.url, ...FAST, 'event-keepalive': 1 });
    const edge = await startProxyUnderTest({ upstream: [backend.httpUrl], tls: 'self-signed', 'upstream-timeout': 2 });
    try {
      const base = `https://127.0.0.1:${edge.proxy.httpsPort}`;
      const stream = await openEventStream(`${base}/api/events?types=connector.status`, auth);
      assert.equal(stream.status, 200);
      const charger = new RPCClient({
        endpoint: `wss://127.0.0.1:${edge.proxy.httpsPort}/ocpp`,
        identity: 'CP-EDGE',
        protocols: ['ocpp1.6'],
        strictMode: true,
        reconnect: false,
        wsOpts: { rejectUnauthorized: false },
      } as ConstructorParameters<typeof RPCClient>[0]);
      await charger.connect();
      await charger.call('StatusNotification', { connectorId: 1, status: 'Available', errorCode: 'NoError' });
      await stream.waitForEvents(1);
      // Idle for longer than --upstream-timeout: the keep-alive comments keep the stream open.
      await new Promise((resolve) => setTimeout(resolve, 3500));
      await charger.call('StatusNotification', { connectorId: 1, status: 'Preparing', errorCode: 'NoError' });
      await stream.waitForEvents(2);
      assert.deepEqual(
        stream.events().map((event) => event.data.status),
        ['Available', 'Preparing'],
      );
      stream.close();
      await charger.close();
    } finally {
      await edge.close();
      await backend.stop();
      await storage.cleanup();
    }
  });
});
