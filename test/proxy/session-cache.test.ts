import assert from 'node:assert/strict';
import { constants } from 'node:crypto';
import { once } from 'node:events';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { TlsSessionCache } from '../../proxy/tls/session-cache.js';
import { createTestCa, issueCertificate } from '../support/test-certificates.js';

describe('TLS session cache (ssl_session_cache)', () => {
  let server: tls.Server;
  let port: number;
  const cache = new TlsSessionCache();

  before(async () => {
    const ca = await createTestCa();
    const leaf = await issueCertificate(ca, ['localhost']);
    // The server leaves closing to the client, so the client sees its own close after the tickets arrived.
    server = tls.createServer({ cert: leaf.certPem, key: leaf.keyPem }, (socket) => socket.on('error', () => {}));
    cache.attach(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  /** One handshake; resolves with the last session the client received (TLS 1.3 sends them after it). */
  async function handshake(options: tls.ConnectionOptions): Promise<Buffer | undefined> {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      rejectUnauthorized: false,
      ...options,
    });
    let session: Buffer | undefined;
    socket.on('session', (received: Buffer) => (session = received));
    await once(socket, 'secureConnect');
    // TLS 1.3 delivers its tickets after the handshake; give them time to arrive before closing.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = once(socket, 'close');
    socket.end();
    await closed;
    return session;
  }

  test('keeps TLS 1.3 sessions out: those clients resume by ticket, never by session id', async () => {
    const before13 = cache.size;
    for (let i = 0; i < 5; i++) await handshake({ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
    assert.equal(cache.size, before13);
  });

  test('keeps TLS 1.2 sessions, and a client without tickets resumes one by its session id', async () => {
    const noTickets = { maxVersion: 'TLSv1.2' as const, secureOptions: constants.SSL_OP_NO_TICKET };
    const session = await handshake(noTickets);
    assert.ok(cache.size > 0, 'a TLS 1.2 session was stored');
    assert.ok(session);
    const resumed = tls.connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      rejectUnauthorized: false,
      ...noTickets,
      session,
    });
    await once(resumed, 'secureConnect');
    assert.equal(resumed.isSessionReused(), true);
    resumed.destroy();
  });
});
