// common/connectionless-upgrade.ts on a real Node HTTP server and raw TCP sockets: an upgrade without
// "Connection: Upgrade" that Node parsed as a plain request is handed back to Node as an upgrade (its 'upgrade'
// listener gets it, frames flow), while a request with a body, with another Upgrade, or one the server does not
// promote stays a plain request.

import assert from 'node:assert/strict';
import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Duplex } from 'node:stream';
import {
  isUpgradeWithoutConnectionHeader,
  promoteBeforeRequestListeners,
  WEBSOCKET_KEY,
} from '../../common/connectionless-upgrade.js';
import { rawWebSocketOverTcp } from '../support/raw-websocket.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

function request(path: string, headers: string): string {
  return `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${headers}\r\n`;
}

/** Accepts every upgrade it gets and echoes text frames back unmasked (frames under 126 bytes). */
function acceptAndEcho(req: IncomingMessage, socket: Duplex): void {
  const accept = createHash('sha1')
    .update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
    .digest('base64');
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  socket.on('data', (frame: Buffer) => {
    const length = frame[1]! & 0x7f;
    const mask = frame.subarray(2, 6);
    const payload = Buffer.alloc(length);
    for (let i = 0; i < length; i++) payload[i] = frame[6 + i]! ^ mask[i % 4]!;
    socket.write(Buffer.concat([Buffer.from([0x81, length + 5]), Buffer.from('echo:'), payload]));
  });
}

describe('upgrades without a Connection header', () => {
  let server: http.Server;
  let port: number;
  const upgrades: string[] = [];
  const plain: string[] = [];
  let promoted = 0;

  before(async () => {
    server = http.createServer((req, res) => {
      plain.push(req.url ?? '');
      res.end('plain');
    });
    promoteBeforeRequestListeners(server, {
      servesUpgrade: (url) => url?.startsWith('/ocpp/') ?? false,
      promoted: () => promoted++,
      notTakenOver: (socket) => socket.destroy(),
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
      upgrades.push(req.url ?? '');
      acceptAndEcho(req, socket);
    });
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  for (const [name, connection] of [
    ['missing', ''],
    ['keep-alive only', 'Connection: keep-alive\r\n'],
  ]) {
    it(`a Connection header ${name}: the 'upgrade' listener gets it, and frames flow`, async () => {
      const before = promoted;
      const ws = await rawWebSocketOverTcp(
        port,
        request(
          '/ocpp/CP1',
          `Upgrade: websocket\r\n${connection}Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n`,
        ),
      );
      assert.equal(ws.status, 101, ws.head);
      ws.send('hello');
      assert.equal(await ws.nextText(), 'echo:hello');
      ws.close();
      assert.equal(upgrades.at(-1), '/ocpp/CP1');
      assert.equal(promoted, before + 1);
    });
  }

  const staysPlain: Array<[string, string, string]> = [
    [
      'elsewhere than the promoted paths',
      '/api/x',
      request('/api/x', `Upgrade: websocket\r\nSec-WebSocket-Key: ${KEY}\r\n`),
    ],
    [
      'with a body',
      '/ocpp/CP2',
      `${request('/ocpp/CP2', `Upgrade: websocket\r\nSec-WebSocket-Key: ${KEY}\r\nContent-Length: 2\r\n`)}hi`,
    ],
    [
      'with another protocol in Upgrade',
      '/ocpp/CP3',
      request('/ocpp/CP3', `Upgrade: h2c\r\nSec-WebSocket-Key: ${KEY}\r\n`),
    ],
    ['with a malformed key', '/ocpp/CP4', request('/ocpp/CP4', 'Upgrade: websocket\r\nSec-WebSocket-Key: short\r\n')],
  ];
  for (const [name, path, bytes] of staysPlain) {
    it(`a request ${name} stays a plain request`, async () => {
      const before = promoted;
      const answer = await rawWebSocketOverTcp(port, bytes);
      assert.equal(answer.status, 200, answer.head);
      answer.close();
      assert.equal(plain.at(-1), path);
      assert.equal(promoted, before);
      assert.notEqual(upgrades.at(-1), path);
    });
  }

  it('knows a well-formed key', () => {
    assert.ok(WEBSOCKET_KEY.test(KEY));
    assert.equal(WEBSOCKET_KEY.test('dGhlIHNhbXBsZSBub25jZQ'), false);
    assert.equal(
      isUpgradeWithoutConnectionHeader({
        method: 'POST',
        headers: { upgrade: 'websocket', 'sec-websocket-key': KEY },
      } as IncomingMessage),
      false,
    );
  });
});
