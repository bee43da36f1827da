// Issue 17 §1: limits at the edge, on real TLS sockets from several loopback source addresses (127.0.0.2, .3, ...
// are all this machine's): the global ceiling, concurrent connections, new connections a second and TLS
// handshakes in progress per address, requests a second on /api/ (with --trust-proxy keyed on the forwarded
// address, IPv6 per /64), and --max-body-size. Each refusal has its status, Retry-After and metric reason, and
// every connection already held keeps working.

import assert from 'node:assert/strict';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import type WebSocket from 'ws';
import {
  metricValue,
  scrapeMetrics,
  startProxyUnderTest,
  type ProxyUnderTest,
} from '../../support/proxy-under-test.js';
import { startTestUpstream, type TestUpstream } from '../../support/test-upstream.js';
import { nextMessage, openWebSocket } from '../../support/tls-clients.js';
import { upgradeAnswer } from '../../support/upgrade-clients.js';
import { waitFor } from '../../support/waiting.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function request(
  port: number,
  path: string,
  options: { localAddress?: string; headers?: Record<string, string>; method?: string; body?: string | Buffer[] } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
        localAddress: options.localAddress,
        servername: 'localhost',
        rejectUnauthorized: false,
        agent: false,
        timeout: 10_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer in time')));
    req.on('error', reject);
    if (Array.isArray(options.body)) {
      for (const chunk of options.body) req.write(chunk);
      req.end();
    } else req.end(options.body);
  });
}

/** A TLS connection from `localAddress`: resolves 'secure' once the handshake is done, 'closed' if the proxy cut it. */
function tlsAttempt(
  port: number,
  localAddress: string,
): Promise<{ outcome: 'secure' | 'closed'; socket: tls.TLSSocket }> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      localAddress,
      servername: 'localhost',
      rejectUnauthorized: false,
    } as tls.ConnectionOptions);
    socket.once('secureConnect', () => resolve({ outcome: 'secure', socket }));
    socket.once('error', () => resolve({ outcome: 'closed', socket }));
    socket.once('close', () => resolve({ outcome: 'closed', socket }));
  });
}

async function refusalCount(edge: ProxyUnderTest, reason: string): Promise<number> {
  return metricValue(await scrapeMetrics(edge.proxy), 'ocpp_edge_limit_refusals_total', { reason }) ?? 0;
}

describe('connection and request limits', () => {
  let upstream: TestUpstream;
  let edge: ProxyUnderTest;

  before(async () => {
    upstream = await startTestUpstream();
    edge = await startProxyUnderTest({
      upstream: [upstream.url],
      tls: 'self-signed',
      'limit-connections-per-address': 3,
      'limit-connection-rate': 1,
      'limit-connection-burst': 8,
      'limit-tls-handshakes-per-address': 2,
      'limit-api-rate': 1,
      'limit-api-burst': 3,
      'max-body-size': '1k',
    });
  });

  after(async () => {
    await edge?.close();
    await upstream?.close();
  });

  test('a fourth connection from one address gets 503 with Retry-After on its upgrade, 429 on a request; the three held keep working', async () => {
    const port = edge.proxy.httpsPort;
    const held: WebSocket[] = [];
    for (let i = 0; i < 3; i++)
      held.push(await openWebSocket(port, `/ocpp/CP-HELD-${i}`, 'ocpp1.6', { localAddress: '127.0.0.2' }));
    const before = await refusalCount(edge, 'connections_per_address');
    const upgrade = await upgradeAnswer(port, '/ocpp/CP-FOURTH', { localAddress: '127.0.0.2' });
    assert.equal(upgrade.status, 503);
    assert.match(upgrade.retryAfter ?? '', /^\d+$/);
    const plain = await request(port, '/api/status', { localAddress: '127.0.0.2' });
    assert.equal(plain.status, 429);
    assert.match(String(plain.headers['retry-after']), /^\d+$/);
    // Another address is not affected, and the held chargers still talk.
    assert.equal((await request(port, '/status', { localAddress: '127.0.0.3' })).status, 200);
    for (const socket of held) {
      socket.send('still here');
      assert.equal(await nextMessage(socket), 'echo:still here');
    }
    assert.ok((await refusalCount(edge, 'connections_per_address')) >= before + 2);
    for (const socket of held) socket.close();
  });

  test('TLS handshakes in progress per address: a third unfinished one is closed at once, before TLS', async () => {
    const port = edge.proxy.httpsPort;
    const silent = [net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.4' })];
    silent.push(net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.4' }));
    await Promise.all(silent.map((socket) => new Promise((resolve) => socket.once('connect', resolve))));
    const before = await refusalCount(edge, 'tls_handshakes');
    // Let the proxy see both before the third arrives.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const third = await tlsAttempt(port, '127.0.0.4');
    assert.equal(third.outcome, 'closed');
    assert.equal(await refusalCount(edge, 'tls_handshakes'), before + 1);
    for (const socket of silent) socket.destroy();
    // Once they are gone, that address connects again.
    await waitFor(
      'a handshake from 127.0.0.4 to succeed again',
      async () => {
        const attempt = await tlsAttempt(port, '127.0.0.4');
        attempt.socket.destroy();
        return attempt.outcome === 'secure';
      },
      { timeoutMs: 3000, intervalMs: 200 },
    );
  });

  test('new connections a second: past the burst, connections from that address are closed at accept', async () => {
    const port = edge.proxy.httpsPort;
    const before = await refusalCount(edge, 'connection_rate');
    const outcomes: string[] = [];
    for (let i = 0; i < 12; i++) {
      const attempt = await tlsAttempt(port, '127.0.0.5');
      outcomes.push(attempt.outcome);
      attempt.socket.destroy();
    }
    // A burst of 8, plus at most one token refilled at 1/s while the loop ran.
    const secure = outcomes.filter((outcome) => outcome === 'secure').length;
    assert.ok(secure >= 8 && secure <= 10, outcomes.join(' '));
    assert.equal(outcomes.at(-1), 'closed');
    assert.ok((await refusalCount(edge, 'connection_rate')) >= before + 2);
    // Another address has its own bucket.
    const other = await tlsAttempt(port, '127.0.0.6');
    assert.equal(other.outcome, 'secure');
    other.socket.destroy();
  });

  test('/api/ requests a second: past the burst 429 with Retry-After, other routes untouched', async () => {
    const port = edge.proxy.httpsPort;
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 5; i++) {
      const answer = await request(port, `/api/charge-points?i=${i}`, { localAddress: '127.0.0.7' });
      statuses.push(answer.status);
      if (answer.status === 429) retryAfter = answer.headers['retry-after'] as string;
    }
    assert.deepEqual(statuses.slice(0, 3), [200, 200, 200]);
    assert.equal(statuses[4], 429);
    assert.match(retryAfter ?? '', /^[1-9]\d*$/);
    assert.equal((await request(port, '/dashboard', { localAddress: '127.0.0.7' })).status, 200);
    assert.ok((await refusalCount(edge, 'api_rate')) >= 1);
  });

  test('without --trust-proxy a client cannot dodge the /api/ limit with X-Forwarded-For', async () => {
    const port = edge.proxy.httpsPort;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const answer = await request(port, '/api/x', {
        localAddress: '127.0.0.8',
        headers: { 'x-forwarded-for': `198.51.100.${i}` },
      });
      statuses.push(answer.status);
    }
    assert.equal(statuses.at(-1), 429, statuses.join(' '));
  });

  test('--max-body-size: a declared body over it gets 413 without reaching the upstream, a chunked one is cut with 413', async () => {
    const port = edge.proxy.httpsPort;
    const seen = upstream.requests.length;
    const declared = await request(port, '/submit', {
      method: 'POST',
      localAddress: '127.0.0.9',
      headers: { 'content-type': 'application/octet-stream' },
      body: 'x'.repeat(2048),
    });
    assert.equal(declared.status, 413);
    assert.match(declared.body, /--max-body-size/);
    assert.equal(upstream.requests.length, seen);
    const chunked = await request(port, '/submit-chunked', {
      method: 'POST',
      localAddress: '127.0.0.9',
      headers: { 'transfer-encoding': 'chunked' },
      body: [Buffer.alloc(700, 1), Buffer.alloc(700, 2)],
    }).catch((error: Error) => ({ status: 0, headers: {}, body: error.message }));
    assert.equal(chunked.status, 413, chunked.body);
    const small = await request(port, '/submit-small', {
      method: 'POST',
      localAddress: '127.0.0.9',
      body: 'x'.repeat(1000),
    });
    assert.equal(small.status, 200);
    assert.ok((await refusalCount(edge, 'body_size')) >= 2);
  });
});

describe('the global connection ceiling', () => {
  let upstream: TestUpstream;
  let edge: ProxyUnderTest;

  before(async () => {
    upstream = await startTestUpstream();
    edge = await startProxyUnderTest({ upstream: [upstream.url], tls: 'self-signed', 'max-connections': 4 });
  });

  after(async () => {
    await edge?.close();
    await upstream?.close();
  });

  test('at --max-connections new connections are closed at accept and every held charger keeps working', async () => {
    const port = edge.proxy.httpsPort;
    const held: WebSocket[] = [];
    for (let i = 0; i < 4; i++)
      held.push(await openWebSocket(port, `/ocpp/CP-CEIL-${i}`, 'ocpp1.6', { localAddress: `127.0.1.${i + 1}` }));
    const refused = await tlsAttempt(port, '127.0.1.9');
    assert.equal(refused.outcome, 'closed');
    await waitFor('the drop to be counted', async () => (await refusalCount(edge, 'max_connections')) >= 1);
    assert.equal(metricValue(await scrapeMetrics(edge.proxy), 'ocpp_edge_max_connections'), 4);
    for (const socket of held) {
      socket.send('ping');
      assert.equal(await nextMessage(socket), 'echo:ping');
    }
    held.pop()!.close();
    await waitFor(
      'a new connection to be accepted under the ceiling',
      async () => {
        const attempt = await tlsAttempt(port, '127.0.1.9');
        attempt.socket.destroy();
        return attempt.outcome === 'secure';
      },
      { timeoutMs: 3000, intervalMs: 100 },
    );
    for (const socket of held) socket.close();
  });
});

describe('--trust-proxy', () => {
  let upstream: TestUpstream;
  let edge: ProxyUnderTest;

  before(async () => {
    upstream = await startTestUpstream();
    edge = await startProxyUnderTest({
      upstream: [upstream.url],
      tls: 'self-signed',
      'trust-proxy': true,
      'limit-api-rate': 1,
      'limit-api-burst': 2,
      'limit-connection-rate': 1,
      'limit-connection-burst': 1,
    });
  });

  after(async () => {
    await edge?.close();
    await upstream?.close();
  });

  test('limits key on the forwarded address, IPv6 per /64; the balancer itself is not throttled by connection rate', async () => {
    const port = edge.proxy.httpsPort;
    const statuses = async (forwardedFor: string, n: number) => {
      const result: number[] = [];
      for (let i = 0; i < n; i++)
        result.push((await request(port, '/api/x', { headers: { 'x-forwarded-for': forwardedFor } })).status);
      return result;
    };
    // Many connections from the one balancer address (127.0.0.1), well past a connection burst of 1.
    assert.deepEqual(await statuses('203.0.113.7', 3), [200, 200, 429]);
    assert.deepEqual(await statuses('203.0.113.8', 2), [200, 200]);
    // Two addresses of one /64 share a bucket; another /64 has its own.
    assert.deepEqual(await statuses('2001:db8:1:2::10', 2), [200, 200]);
    assert.deepEqual(await statuses('2001:db8:1:2:ffff::1', 1), [429]);
    assert.deepEqual(await statuses('2001:db8:1:3::10', 1), [200]);
  });
});
