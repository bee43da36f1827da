// Issue 17 §3: fuzzing the proxy's HTTP and WebSocket handling over raw TLS sockets: malformed request lines,
// CR/LF injected into header values, request smuggling shapes (Content-Length with Transfer-Encoding, duplicate or
// conflicting Content-Length, obsolete line folding, odd chunk sizes), oversized and fragmented WebSocket frames,
// and data sent after a close frame. Properties: every request is answered with a status or closed, never
// crashes the proxy; no request the client smuggled behind another (`/smuggled`) ever reaches the upstream; no
// header the client injected reaches it; the proxy keeps serving everyone else.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { startProxyUnderTest, type ProxyUnderTest } from '../support/proxy-under-test.js';
import { startTestUpstream, type TestUpstream } from '../support/test-upstream.js';
import { httpsRequest, nextMessage, openWebSocket } from '../support/tls-clients.js';
import { FUZZ_RUNS, FUZZ_SEED } from './fuzz-runs.js';

/** Writes `data` on a TLS connection and reads until the proxy closes it or `timeoutMs` passes. */
function exchange(port: number, chunks: Buffer[], timeoutMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false });
    let response = '';
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(response);
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('secureConnect', () => {
      for (const chunk of chunks) if (!socket.destroyed) socket.write(chunk);
    });
    socket.on('data', (chunk: Buffer) => (response += chunk.toString('latin1')));
    socket.on('error', done);
    socket.on('close', done);
  });
}

const token = fc.stringMatching(/^[A-Za-z0-9-]{1,12}$/);
const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    '\r\n',
    '\n',
    '\r',
    '\rX-Injected: yes',
    'x\rX-Injected: yes',
    '\u0000',
    ' \t',
    '\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n',
  ),
);
const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n';

/** Request heads and bodies shaped like the known smuggling and injection attacks, with random parts. */
const hostileRequest: fc.Arbitrary<string> = fc.oneof(
  // Content-Length and Transfer-Encoding together (CL.TE / TE.CL), TE obfuscated.
  fc
    .tuple(
      fc.constantFrom(
        'chunked',
        ' chunked',
        'chunked ',
        'xchunked',
        'chunked, identity',
        'identity, chunked',
        'CHUNKED',
      ),
      fc.nat(60),
    )
    .map(
      ([te, cl]) =>
        `POST /api/a HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${cl}\r\nTransfer-Encoding: ${te}\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    ),
  // Duplicate and conflicting Content-Length.
  fc
    .tuple(fc.nat(60), fc.nat(60))
    .map(
      ([a, b]) =>
        `POST /api/a HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${a}\r\nContent-Length: ${b}\r\n\r\n${SMUGGLED}`,
    ),
  fc
    .constantFrom('1, 2', '-1', '+5', '0x10', '1e3', ' 5', '99999999999999999999')
    .map((cl) => `POST /api/a HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${cl}\r\n\r\n${SMUGGLED}`),
  // Obsolete line folding.
  fc
    .constantFrom(
      'Transfer-Encoding: identity\r\n chunked',
      'X-A: b\r\n\tTransfer-Encoding: chunked',
      'Content-Length: 0\r\n 5',
    )
    .map((folded) => `POST /api/a HTTP/1.1\r\nHost: localhost\r\n${folded}\r\n\r\n0\r\n\r\n${SMUGGLED}`),
  // Odd chunk sizes and chunk extensions.
  fc
    .constantFrom('ffffffffffffffffff', '-1', '1;a=b\r\nx\r\n0', '0x5', ' 5', '5 ', '\n5')
    .map(
      (size) =>
        `POST /api/a HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n${size}\r\n\r\n${SMUGGLED}`,
    ),
  // CR and NUL in header names and values (a whole CRLF only ends the line: a header of its own, no injection).
  fc.tuple(token, nasty).map(([name, value]) => `GET /api/h HTTP/1.1\r\nHost: localhost\r\n${name}: ${value}\r\n\r\n`),
  // Malformed request lines.
  fc
    .tuple(
      fc.constantFrom('GET', 'G E T', 'get', '', 'GET\t', 'PRI'),
      nasty,
      fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/9.9', 'HTTP/1.1 x', ''),
    )
    .map(([method, target, version]) => `${method} /${target} ${version}\r\nHost: localhost\r\n\r\n`),
  // An upgrade with smuggled bytes and injected headers.
  nasty.map(
    (value) =>
      `GET /ocpp/CP-FUZZ HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-Note: ${value}\r\n\r\n`,
  ),
  // WebSocket smuggling: an upgrade the upstream declines (404), with a request right behind it in the same write.
  fc
    .constantFrom('/ocpp/UNKNOWN-1', '/ocpp/CP-OK')
    .map(
      (path) =>
        `GET ${path} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n${SMUGGLED}`,
    ),
  // Random bytes.
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
);

/** A WebSocket frame from the client (masked), with an opcode, FIN flag and payload of our choosing. */
function clientFrame(opcode: number, payload: Buffer, fin: boolean, declaredLength?: number): Buffer {
  const length = declaredLength ?? payload.length;
  const header: number[] = [(fin ? 0x80 : 0) | opcode];
  if (length < 126) header.push(0x80 | length);
  else if (length < 65536) header.push(0x80 | 126, length >> 8, length & 0xff);
  else {
    header.push(0x80 | 127);
    const big = Buffer.alloc(8);
    big.writeBigUInt64BE(BigInt(length));
    header.push(...big);
  }
  const mask = [1, 2, 3, 4];
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from(header), Buffer.from(mask), masked]);
}

const UPGRADE =
  'GET /ocpp/CP-FRAMES HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n\r\n';

const hostileFrames: fc.Arbitrary<Buffer[]> = fc.array(
  fc.oneof(
    // Fragmented text: a first frame without FIN, continuations, sometimes never finished.
    fc
      .tuple(fc.uint8Array({ maxLength: 200 }), fc.boolean())
      .map(([bytes, fin]) => clientFrame(0x1, Buffer.from(bytes), fin)),
    fc.uint8Array({ maxLength: 200 }).map((bytes) => clientFrame(0x0, Buffer.from(bytes), true)),
    // Oversized: declared far longer than sent, or large.
    fc.constantFrom(2 ** 20, 2 ** 32, 2 ** 40).map((declared) => clientFrame(0x2, Buffer.alloc(16), true, declared)),
    fc.integer({ min: 70_000, max: 300_000 }).map((size) => clientFrame(0x2, Buffer.alloc(size, 7), true)),
    // Reserved opcodes and control frames with odd payloads, then data after the close frame.
    fc.constantFrom(0x3, 0x7, 0xb, 0xf).map((opcode) => clientFrame(opcode, Buffer.from('x'), true)),
    fc.uint8Array({ maxLength: 125 }).map((bytes) => clientFrame(0x8, Buffer.from(bytes), true)),
    fc.uint8Array({ maxLength: 200 }).map((bytes) => clientFrame(0x9, Buffer.from(bytes), true)),
    fc.uint8Array({ maxLength: 100 }).map((bytes) => Buffer.from(bytes)),
  ),
  { maxLength: 6 },
);

describe('fuzzing HTTP and WebSocket at the proxy', () => {
  let upstream: TestUpstream;
  let edge: ProxyUnderTest;

  before(async () => {
    upstream = await startTestUpstream();
    edge = await startProxyUnderTest({ upstream: [upstream.url], tls: 'self-signed', 'header-timeout': 2 });
  });

  after(async () => {
    await edge?.close();
    await upstream?.close();
  });

  test(`${FUZZ_RUNS} hostile requests: answered or closed, nothing smuggled or injected reaches the upstream`, async () => {
    await fc.assert(
      fc.asyncProperty(hostileRequest, fc.integer({ min: 1, max: 4 }), async (request, pieces) => {
        // Sent whole or in pieces, so the parser meets every boundary.
        const bytes = Buffer.from(request, 'latin1');
        const size = Math.ceil(bytes.length / pieces);
        const chunks = Array.from({ length: pieces }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
        const response = await exchange(edge.proxy.httpsPort, chunks);
        if (response !== '') assert.match(response, /^HTTP\/1\.1 \d{3} /, JSON.stringify(response.slice(0, 200)));
        // A pipelined request the proxy parsed itself is no smuggling (it routed and logged it); one the upstream
        // saw and the proxy did not is.
        await new Promise((resolve) => setTimeout(resolve, 50));
        const reached = upstream.requests.filter((seen) => seen.url.includes('/smuggled')).length;
        const parsed = edge.logs.accessLines().filter((line) => String(line.path).includes('/smuggled')).length;
        assert.ok(reached <= parsed, `smuggled past the proxy (${reached} > ${parsed}): ${JSON.stringify(request)}`);
        assert.equal(
          [...upstream.requests, ...upstream.handshakes].some((seen) => seen.headers['x-injected'] !== undefined),
          false,
          `injected: ${JSON.stringify(request)}`,
        );
      }),
      { numRuns: FUZZ_RUNS, seed: FUZZ_SEED, endOnFailure: true },
    );
  });

  test(`${Math.ceil(FUZZ_RUNS / 3)} hostile WebSocket frame sequences: the proxy survives and keeps serving`, async () => {
    await fc.assert(
      fc.asyncProperty(hostileFrames, async (frames) => {
        await exchange(edge.proxy.httpsPort, [Buffer.from(UPGRADE, 'latin1'), ...frames], 1500);
      }),
      { numRuns: Math.ceil(FUZZ_RUNS / 3), seed: FUZZ_SEED, endOnFailure: true },
    );
  });

  test('a client that sends after its close frame: dropped, and the proxy keeps serving', async () => {
    const afterClose = [
      Buffer.from(UPGRADE, 'latin1'),
      clientFrame(0x8, Buffer.from([0x03, 0xe8]), true),
      clientFrame(0x1, Buffer.from('[2,"late","Heartbeat",{}]'), true),
    ];
    const response = await exchange(edge.proxy.httpsPort, afterClose, 2000);
    assert.match(response, /^HTTP\/1\.1 101 /);
  });

  test('afterwards: the proxy serves HTTP and WebSockets as before', async () => {
    assert.equal((await httpsRequest(edge.proxy.httpsPort, '/api/after-fuzz')).status, 200);
    const charger = await openWebSocket(edge.proxy.httpsPort, '/ocpp/CP-AFTER', 'ocpp1.6');
    charger.send('ping');
    assert.equal(await nextMessage(charger), 'echo:ping');
    charger.close();
  });
});

describe('WebSocket request smuggling', () => {
  test('bytes behind a declined upgrade never reach an upstream that keeps its connection open', async () => {
    // An upstream that declines every upgrade with 404 and keeps the connection (as some servers do): whatever
    // else arrives on it would be parsed as a request of its own.
    const received: string[] = [];
    const server = net.createServer((socket) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        received.push(chunk.toString('latin1'));
        if (text.includes('\r\n\r\n') && !socket.writableEnded)
          socket.write('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: keep-alive\r\n\r\n');
      });
      socket.on('error', () => {});
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    const edge = await startProxyUnderTest({ upstream: [`http://127.0.0.1:${port}`], tls: 'self-signed' });
    try {
      const request =
        'GET /ocpp/CP-SMUGGLE HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n${SMUGGLED}`;
      const response = await exchange(edge.proxy.httpsPort, [Buffer.from(request, 'latin1')], 1500);
      assert.match(response, /^HTTP\/1\.1 404 /);
      assert.ok(received.join('').includes('/ocpp/CP-SMUGGLE'), 'the upgrade itself reached the upstream');
      assert.equal(received.join('').includes('/smuggled'), false, received.join(''));
    } finally {
      await edge.close();
      server.close();
    }
  });
});
