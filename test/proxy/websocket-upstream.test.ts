// The upstream side of a WebSocket upgrade, which the proxy writes and reads itself (proxy/websocket.ts,
// proxy/websocket-handshake.ts): what the upstream receives, answers that arrive in pieces or with frames right
// behind them, answers that are not HTTP, an upstream that hangs up, large messages in both directions
// (back-pressure), an upstream under a base path, and an https:// upstream (for HTTP requests too).

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket, { WebSocketServer, type ClientOptions } from 'ws';
import { makeTempDir, metricValue, startProxyUnderTest, type ProxyUnderTest } from '../support/proxy-under-test.js';
import { startProxyProcess, type ProxyProcess } from '../support/proxy-process.js';
import { createTestCa, issueCertificate } from '../support/test-certificates.js';
import { httpsRequest, nextMessage, openWebSocket, refusedUpgradeStatus } from '../support/tls-clients.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function acceptKey(req: IncomingMessage): string {
  return createHash('sha1')
    .update(`${String(req.headers['sec-websocket-key'])}${GUID}`)
    .digest('base64');
}

/** A server-to-client text frame (unmasked), for payloads under 126 bytes. */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  return Buffer.concat([Buffer.from([0x81, payload.length]), payload]);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An upstream whose answer to the upgrade is chosen by the path: the scripted ones are written byte by byte to
 * the socket, anything else is a `ws` echo server.
 */
async function startScriptedUpstream(): Promise<{ server: http.Server; port: number; upgrades: IncomingMessage[] }> {
  const upgrades: IncomingMessage[] = [];
  const echo = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024, handleProtocols: () => 'ocpp1.6' });
  echo.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    upgrades.push(req);
    socket.on('error', () => {});
    const scripted = req.url!.split('/').pop();
    if (scripted === 'SPLIT') {
      // The 101 in three reads, cut inside a header line; its own X-Frame-Options; a first frame in the same write
      // as the end of the head.
      const head101 =
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${acceptKey(req)}\r\nSec-WebSocket-Protocol: ocpp1.6\r\nX-Frame-Options: DENY\r\n\r\n`;
      void (async () => {
        socket.write(head101.slice(0, 20));
        await pause(30);
        socket.write(head101.slice(20, 60));
        await pause(30);
        socket.write(Buffer.concat([Buffer.from(head101.slice(60), 'latin1'), textFrame('[2,"1","Hello",{}]')]));
        // Then like a server: read what comes, close when the proxy closes.
        socket.resume();
        socket.on('end', () => socket.end());
      })();
    } else if (scripted === 'GARBAGE') {
      socket.end('HELLO THERE\r\n\r\n');
    } else if (scripted === 'ENDLESS') {
      socket.write('HTTP/1.1 101 Switching Protocols\r\n');
      for (let i = 0; i < 40; i++) socket.write(`x-filler-${i}: ${'y'.repeat(1000)}\r\n`);
    } else if (scripted === 'HANGUP') {
      socket.destroy();
    } else if (scripted === 'REFUSED') {
      socket.end(
        'HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 12\r\nX-Frame-Options: DENY\r\n\r\nUnauthorized',
      );
    } else {
      echo.handleUpgrade(req, socket, head, (ws) => echo.emit('connection', ws, req));
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port, upgrades };
}

/** The upgrade's raw answer as the charger sees it. */
function upgradeResponse(
  port: number,
  requestPath: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`wss://127.0.0.1:${port}${requestPath}`, 'ocpp1.6', {
      rejectUnauthorized: false,
      servername: 'localhost',
    } as ClientOptions);
    socket.once('open', () => reject(new Error(`${requestPath} was upgraded`)));
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      response.on('error', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    socket.once('error', reject);
  });
}

describe('the upstream side of an upgrade', () => {
  let upstream: Awaited<ReturnType<typeof startScriptedUpstream>>;
  let edge: ProxyUnderTest;

  before(async () => {
    upstream = await startScriptedUpstream();
    // Under a base path: the upstream URL's path goes in front of the charger's.
    edge = await startProxyUnderTest({ upstream: [`http://127.0.0.1:${upstream.port}/central`], tls: 'self-signed' });
  });

  after(async () => {
    await edge?.close();
    upstream?.server.closeAllConnections();
    await new Promise((resolve) => upstream?.server.close(resolve));
  });

  test('the upstream gets the charger request with the forwarding headers, under its base path', async () => {
    const charger = await openWebSocket(edge.proxy.httpsPort, '/ocpp/CP-HEADERS?x=1', 'ocpp1.6', {
      headers: { authorization: 'Basic Q1A6c2VjcmV0' },
    });
    charger.close();
    const seen = upstream.upgrades.at(-1)!;
    assert.equal(seen.url, '/central/ocpp/CP-HEADERS?x=1');
    assert.equal(seen.headers.connection, 'upgrade');
    assert.equal(seen.headers.upgrade, 'websocket');
    assert.equal(seen.headers['sec-websocket-protocol'], 'ocpp1.6');
    assert.equal(seen.headers.authorization, 'Basic Q1A6c2VjcmV0');
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen.headers['x-real-ip'], '127.0.0.1');
    assert.equal(seen.headers['x-forwarded-proto'], 'https');
    // The charger's Host, not the upstream's address.
    assert.equal(seen.headers.host, `127.0.0.1:${edge.proxy.httpsPort}`);
  });

  test('a 101 that arrives in pieces, with a frame right behind it: the charger gets both, with our headers', async () => {
    const charger = new WebSocket(`wss://127.0.0.1:${edge.proxy.httpsPort}/ocpp/SPLIT`, 'ocpp1.6', {
      rejectUnauthorized: false,
      servername: 'localhost',
    } as ClientOptions);
    const [response] = (await once(charger, 'upgrade')) as [IncomingMessage];
    const first = await nextMessage(charger);
    assert.equal(first, '[2,"1","Hello",{}]');
    assert.equal(charger.protocol, 'ocpp1.6');
    // Ours instead of the upstream's DENY, and only once.
    assert.equal(response.headers['x-frame-options'], 'SAMEORIGIN');
    assert.equal(response.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
    charger.terminate();
  });

  test('a refusal (401 with a body) reaches the charger with its body and our headers', async () => {
    const response = await upgradeResponse(edge.proxy.httpsPort, '/ocpp/REFUSED');
    assert.equal(response.status, 401);
    assert.equal(response.body, 'Unauthorized');
    assert.equal(response.headers['x-frame-options'], 'SAMEORIGIN');
  });

  test('an answer that is not HTTP, a head that never ends, and a hang-up: 502, and the proxy keeps serving', async () => {
    const before = await edge.proxy.registry.metrics();
    const errorsBefore = (kind: string) => metricValue(before, 'ocpp_edge_upstream_errors_total', { kind }) ?? 0;
    assert.equal(await refusedUpgradeStatus(edge.proxy.httpsPort, '/ocpp/GARBAGE', 'ocpp1.6'), 502);
    assert.equal(await refusedUpgradeStatus(edge.proxy.httpsPort, '/ocpp/ENDLESS', 'ocpp1.6'), 502);
    assert.equal(await refusedUpgradeStatus(edge.proxy.httpsPort, '/ocpp/HANGUP', 'ocpp1.6'), 502);
    const metrics = await edge.proxy.registry.metrics();
    assert.equal(
      (metricValue(metrics, 'ocpp_edge_upstream_errors_total', { kind: 'other' }) ?? 0) - errorsBefore('other'),
      2,
    );
    assert.equal(
      (metricValue(metrics, 'ocpp_edge_upstream_errors_total', { kind: 'reset' }) ?? 0) - errorsBefore('reset'),
      1,
    );
    const charger = await openWebSocket(edge.proxy.httpsPort, '/ocpp/CP-AFTER', 'ocpp1.6');
    charger.send('still here');
    assert.equal(await nextMessage(charger), 'still here');
    charger.close();
  });

  test('messages of several megabytes pass both ways intact (the reader waits while the writer is full)', async () => {
    const charger = await openWebSocket(edge.proxy.httpsPort, '/ocpp/CP-LARGE', 'ocpp1.6', {
      maxPayload: 16 * 1024 * 1024,
    });
    const payloads = [randomBytes(4 * 1024 * 1024), randomBytes(6 * 1024 * 1024), randomBytes(100)];
    const received: Buffer[] = [];
    const all = new Promise<void>((resolve) => {
      charger.on('message', (data: Buffer) => {
        received.push(data);
        if (received.length === payloads.length) resolve();
      });
    });
    for (const payload of payloads) charger.send(payload);
    await all;
    for (let i = 0; i < payloads.length; i++)
      assert.ok(received[i]!.equals(payloads[i]!), `message ${i} came back changed`);
    charger.close();
  });
});

describe('an https:// upstream', () => {
  let upstream: https.Server;
  let proxy: ProxyProcess;

  before(async () => {
    const ca = await createTestCa();
    const certificate = await issueCertificate(ca, ['localhost']);
    const dir = await makeTempDir();
    const caFile = path.join(dir, 'ca.pem');
    await writeFile(caFile, ca.certPem);
    upstream = https.createServer({ cert: certificate.certPem, key: certificate.keyPem }, (req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`tls upstream saw ${req.url}`);
    });
    const echo = new WebSocketServer({ server: upstream, handleProtocols: () => 'ocpp1.6' });
    echo.on('connection', (socket) => socket.on('message', (data) => socket.send(String(data))));
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    const port = (upstream.address() as { port: number }).port;
    // The upstream's certificate is verified against the system's CAs plus NODE_EXTRA_CA_CERTS, as Node does.
    process.env.NODE_EXTRA_CA_CERTS = caFile;
    try {
      proxy = await startProxyProcess([
        '--tls',
        'self-signed',
        '--domain',
        'localhost',
        '--data-dir',
        dir,
        '--upstream',
        `https://localhost:${port}`,
      ]);
    } finally {
      delete process.env.NODE_EXTRA_CA_CERTS;
    }
  });

  after(async () => {
    await proxy?.stop();
    upstream?.closeAllConnections();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  test('HTTP requests are forwarded to it over TLS as well', async () => {
    const response = await httpsRequest(proxy.httpsPort, '/api/over-tls');
    assert.equal(response.status, 200);
    assert.equal(response.body, 'tls upstream saw /api/over-tls');
  });

  test('a charger is proxied to it over TLS, with the upstream certificate verified', async () => {
    const charger = await openWebSocket(proxy.httpsPort, '/ocpp/CP-TLS-UPSTREAM', 'ocpp1.6');
    charger.send('over tls twice');
    assert.equal(await nextMessage(charger), 'over tls twice');
    charger.close();
  });
});
