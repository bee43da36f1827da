// Issue 15 §3: the handshakes real chargers send, straight to the backend over a raw socket: a '/' after the
// identity, and subprotocol offers in another case or with odd separators, are accepted (101) and counted in
// ocpp_edge_handshake_tolerances_total{kind}; an offer of only other protocols is still refused. An upgrade without
// "Connection: Upgrade" (Autel MaxiCharger AC, lbbrhzn/ocpp#1933) on /ocpp/ is served as one; elsewhere it is not.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestBackend, type TestBackend } from '../support/backend-instance.js';
import { call, rawWebSocketOverTcp } from '../support/raw-websocket.js';
import { createStorage, type StorageTarget } from '../support/storage-targets.js';

function upgrade(port: number, path: string, protocol: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
          `${protocol === undefined ? '' : `Sec-WebSocket-Protocol: ${protocol}\r\n`}\r\n`,
      );
    });
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n\r\n')) {
        socket.destroy();
        resolve(received);
      }
    });
    socket.on('error', reject);
    socket.setTimeout(5000, () => reject(new Error('no answer to the upgrade')));
  });
}

function tolerated(metrics: string, kind: string): number {
  const line = metrics
    .split('\n')
    .find((row) => row.startsWith('ocpp_edge_handshake_tolerances_total{') && row.includes(`kind="${kind}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('handshake tolerance (backend)', () => {
  let storage: StorageTarget;
  let backend: TestBackend;
  before(async (t) => {
    storage = (await createStorage('sqlite', t as never)) as StorageTarget;
    backend = await startTestBackend({ database: storage.url });
  });
  after(async () => {
    await backend?.stop();
    await storage?.cleanup();
  });

  it('accepts a trailing slash after the identity, as that identity', async () => {
    const answer = await upgrade(backend.handle.port, '/ocpp/CP-SLASH/', 'ocpp1.6');
    assert.match(answer, /^HTTP\/1\.1 101/);
    assert.equal((await backend.api('GET', '/api/charge-points/CP-SLASH')).status, 200);
    assert.equal(tolerated(await backend.metrics(), 'trailing_slash'), 1);
  });

  for (const offer of ['OCPP1.6', 'ocpp1.6,', ' ocpp1.6 ; ocpp2.0.1', 'Ocpp1.6 ,,ocpp1.5']) {
    it(`accepts the subprotocol offer ${JSON.stringify(offer)} and answers ocpp1.6`, async () => {
      const before = tolerated(await backend.metrics(), 'subprotocol_spelling');
      const answer = await upgrade(backend.handle.port, '/ocpp/CP-PROTO', offer);
      assert.match(answer, /^HTTP\/1\.1 101/, answer);
      assert.match(answer, /sec-websocket-protocol: ocpp1\.6\r\n/i);
      assert.equal(tolerated(await backend.metrics(), 'subprotocol_spelling'), before + 1);
    });
  }

  for (const [name, connection] of [
    ['without a Connection header', ''],
    ['with Connection: keep-alive', 'Connection: keep-alive\r\n'],
  ]) {
    it(`accepts an upgrade ${name}, and the session works`, async () => {
      const before = tolerated(await backend.metrics(), 'connection_header');
      const charger = await rawWebSocketOverTcp(
        backend.handle.port,
        'GET /ocpp/CP-NOCONN HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n' +
          `${connection}Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n` +
          'Sec-WebSocket-Protocol: ocpp1.6\r\n\r\n',
      );
      assert.equal(charger.status, 101, charger.head);
      const answer = await call(charger, [
        2,
        'boot-1',
        'BootNotification',
        { chargePointVendor: 'Autel', chargePointModel: 'MaxiCharger AC' },
      ]);
      assert.equal(answer[0], 3, JSON.stringify(answer));
      assert.equal((answer[2] as { status: string }).status, 'Accepted');
      charger.close();
      assert.equal(tolerated(await backend.metrics(), 'connection_header'), before + 1);
    });
  }

  it('serves a request elsewhere without "Connection: Upgrade" as a plain request', async () => {
    const before = tolerated(await backend.metrics(), 'connection_header');
    const answer = await rawWebSocketOverTcp(
      backend.handle.port,
      'GET /health HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    assert.equal(answer.status, 200, answer.head);
    answer.close();
    assert.equal(tolerated(await backend.metrics(), 'connection_header'), before);
  });

  it('leaves a clean offer alone and still refuses other protocols', async () => {
    const before = tolerated(await backend.metrics(), 'subprotocol_spelling');
    assert.match(await upgrade(backend.handle.port, '/ocpp/CP-CLEAN', 'ocpp2.0.1, ocpp1.6'), /^HTTP\/1\.1 101/);
    assert.match(await upgrade(backend.handle.port, '/ocpp/CP-OTHER', 'OCPP2.0.1'), /^HTTP\/1\.1 400/);
    assert.equal(tolerated(await backend.metrics(), 'subprotocol_spelling'), before, 'nothing to repair in either');
    assert.match(await upgrade(backend.handle.port, '/ocpp/CP1/extra', 'ocpp1.6'), /^HTTP\/1\.1 40/);
  });
});
