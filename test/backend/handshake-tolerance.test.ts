// Issue 15 §3: the handshakes real chargers send, straight to the backend over a raw socket: a '/' after the
// identity, and subprotocol offers in another case or with odd separators, are accepted (101) and counted in
// ocpp_edge_handshake_tolerances_total{kind}; an offer of only other protocols is still refused.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestBackend, type TestBackend } from '../support/backend-instance.js';
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

  it('leaves a clean offer alone and still refuses other protocols', async () => {
    const before = tolerated(await backend.metrics(), 'subprotocol_spelling');
    assert.match(await upgrade(backend.handle.port, '/ocpp/CP-CLEAN', 'ocpp2.0.1, ocpp1.6'), /^HTTP\/1\.1 101/);
    assert.match(await upgrade(backend.handle.port, '/ocpp/CP-OTHER', 'OCPP2.0.1'), /^HTTP\/1\.1 400/);
    assert.equal(tolerated(await backend.metrics(), 'subprotocol_spelling'), before, 'nothing to repair in either');
    assert.match(await upgrade(backend.handle.port, '/ocpp/CP1/extra', 'ocpp1.6'), /^HTTP\/1\.1 40/);
  });
});
