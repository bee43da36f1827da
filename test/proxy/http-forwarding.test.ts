// HTTP forwarding (proxy/upstream.ts) against an upstream that answers by path: which headers cross in each
// direction, repeated response headers, an upstream under a base path, an upstream dying in the middle of a
// response, and a client leaving before the answer.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { metricValue, startProxyUnderTest, type ProxyUnderTest } from '../support/proxy-under-test.js';
import { httpsRequest } from '../support/tls-clients.js';
import { waitFor } from '../support/waiting.js';

interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
}

async function startScriptedUpstream() {
  const seen: SeenRequest[] = [];
  const abandoned: string[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders });
    const name = (req.url ?? '').split('?')[0]!.split('/').pop();
    if (name === 'cookies') {
      res.writeHead(201, 'Made It', [
        'Set-Cookie',
        'a=1; Path=/',
        'Set-Cookie',
        'b=2; Path=/',
        'X-Frame-Options',
        'DENY',
        'Connection',
        'close',
        'Keep-Alive',
        'timeout=1',
        'X-Upstream-Case',
        'Kept',
        'Content-Length',
        '2',
      ]);
      res.end('ok');
    } else if (name === 'dies') {
      res.writeHead(200, { 'content-length': 1000 });
      res.write('x'.repeat(10));
      setTimeout(() => res.socket?.destroy(), 50);
    } else if (name === 'never') {
      req.on('close', () => abandoned.push(req.url ?? ''));
    } else {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 4 }).end('done'));
    }
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port, seen, abandoned, sockets };
}

describe('HTTP forwarding', () => {
  let upstream: Awaited<ReturnType<typeof startScriptedUpstream>>;
  let edge: ProxyUnderTest;

  before(async () => {
    upstream = await startScriptedUpstream();
    edge = await startProxyUnderTest({ upstream: [`http://127.0.0.1:${upstream.port}/central/`], tls: 'self-signed' });
  });

  after(async () => {
    await edge?.close();
    upstream?.server.closeAllConnections();
    await new Promise((resolve) => upstream?.server.close(resolve));
  });

  test("the client's connection headers stay with the client; the rest reaches the upstream under its base path", async () => {
    const response = await httpsRequest(edge.proxy.httpsPort, '/api/plain?x=1', {
      headers: {
        connection: 'close',
        'keep-alive': 'timeout=5',
        'proxy-authorization': 'Basic c2VjcmV0',
        'x-custom': 'yes',
        authorization: 'Bearer abc',
      },
    });
    assert.equal(response.status, 200);
    const seen = upstream.seen.at(-1)!;
    assert.equal(seen.url, '/central/api/plain?x=1');
    assert.equal(seen.headers['x-custom'], 'yes');
    assert.equal(seen.headers.authorization, 'Bearer abc');
    assert.equal(seen.headers['proxy-authorization'], undefined);
    assert.equal(seen.headers['keep-alive'], undefined);
    // The proxy's own keep-alive connection, not the client's "close".
    assert.equal(seen.headers.connection, 'keep-alive');
    // The client's Host, not the upstream's address.
    assert.equal(seen.headers.host, `127.0.0.1:${edge.proxy.httpsPort}`);
  });

  test('a DELETE without a body reaches the upstream with Content-Length: 0', async () => {
    await httpsRequest(edge.proxy.httpsPort, '/api/plain', { method: 'DELETE' });
    const seen = upstream.seen.at(-1)!;
    assert.equal(seen.method, 'DELETE');
    assert.equal(seen.headers['content-length'], '0');
  });

  test("the upstream's status text, repeated headers and header case come back; its connection headers and X-Frame-Options do not", async () => {
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const request = https.get(
        {
          host: '127.0.0.1',
          port: edge.proxy.httpsPort,
          path: '/api/cookies',
          servername: 'localhost',
          rejectUnauthorized: false,
        },
        resolve,
      );
      request.on('error', reject);
    });
    response.resume();
    await once(response, 'end');
    assert.equal(response.statusCode, 201);
    assert.equal(response.statusMessage, 'Made It');
    assert.deepEqual(response.headers['set-cookie'], ['a=1; Path=/', 'b=2; Path=/']);
    assert.equal(response.headers['x-frame-options'], 'SAMEORIGIN');
    assert.notEqual(response.headers['keep-alive'], 'timeout=1');
    assert.notEqual(response.headers.connection, 'close');
    assert.ok(response.rawHeaders.includes('X-Upstream-Case'));
  });

  test('an upstream that dies in the middle of a response: the client response is cut, counted as a reset', async () => {
    const before =
      metricValue(await edge.proxy.registry.metrics(), 'ocpp_edge_upstream_errors_total', { kind: 'reset' }) ?? 0;
    const outcome = await new Promise<string>((resolve) => {
      const request = https.get(
        {
          host: '127.0.0.1',
          port: edge.proxy.httpsPort,
          path: '/api/dies',
          servername: 'localhost',
          rejectUnauthorized: false,
        },
        (response) => {
          response.on('data', () => {});
          response.on('end', () => resolve('complete'));
          response.on('error', () => resolve('cut'));
          response.on('aborted', () => resolve('cut'));
        },
      );
      request.on('error', () => resolve('cut'));
      request.setTimeout(5000, () => resolve('hung'));
    });
    assert.equal(outcome, 'cut');
    const after =
      metricValue(await edge.proxy.registry.metrics(), 'ocpp_edge_upstream_errors_total', { kind: 'reset' }) ?? 0;
    assert.equal(after - before, 1);
    // The proxy goes on serving.
    assert.equal((await httpsRequest(edge.proxy.httpsPort, '/api/plain')).status, 200);
  });

  test('a client that leaves before the answer: the upstream request is cut too, and not counted as an upstream error', async () => {
    const before = await edge.proxy.registry.metrics();
    const errorsBefore = ['refused', 'timeout', 'reset', 'other'].map(
      (kind) => metricValue(before, 'ocpp_edge_upstream_errors_total', { kind }) ?? 0,
    );
    const request = https.get({
      host: '127.0.0.1',
      port: edge.proxy.httpsPort,
      path: '/api/never',
      servername: 'localhost',
      rejectUnauthorized: false,
      agent: false,
    });
    request.on('error', () => {});
    await waitFor(
      'the upstream to get the request',
      () => upstream.seen.some((seen) => seen.url === '/central/api/never'),
      { timeoutMs: 5000 },
    );
    request.destroy();
    await waitFor('the upstream request to be closed', () => upstream.abandoned.includes('/central/api/never'), {
      timeoutMs: 5000,
    });
    const now = await edge.proxy.registry.metrics();
    const errorsNow = ['refused', 'timeout', 'reset', 'other'].map(
      (kind) => metricValue(now, 'ocpp_edge_upstream_errors_total', { kind }) ?? 0,
    );
    assert.deepEqual(errorsNow, errorsBefore);
  });
});
