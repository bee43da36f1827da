// A CA that rate-limits us (Pebble has no rate limits, so a minimal RFC 8555 stand-in answers 429 with a problem
// document and Retry-After): the proxy keeps its placeholder, logs the problem, counts the failure, and waits
// at least as long as the CA asked before trying again.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { startProxy } from '../../../../proxy/server.js';
import { captureLog, handshakeCertificate, metricValue, proxyConfig } from '../../../support/acme-helpers.js';
import { ACME_POLL } from '../../../support/acme-pebble.js';
import { waitFor } from '../../../support/waiting.js';

const root = mkdtempSync(path.join(tmpdir(), 'ocpp-edge-acme-ratelimit-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('rate limited: the problem is logged, the failure counted, the retry waits for Retry-After', async () => {
  const requests: string[] = [];
  const ca = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const base = `http://127.0.0.1:${(ca.address() as AddressInfo).port}`;
    if (req.url === '/dir') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ newNonce: `${base}/nonce`, newAccount: `${base}/account`, newOrder: `${base}/order` }));
    } else if (req.url === '/nonce') {
      res.writeHead(200, { 'replay-nonce': `nonce-${requests.length}`, 'cache-control': 'no-store' }).end();
    } else {
      req.resume();
      res
        .writeHead(429, {
          'content-type': 'application/problem+json',
          'retry-after': '7200',
          'replay-nonce': `nonce-${requests.length}`,
        })
        .end(
          JSON.stringify({
            type: 'urn:ietf:params:acme:error:rateLimited',
            detail: 'too many new accounts (5) from this IP in the last 3h',
            status: 429,
          }),
        );
    }
  });
  await new Promise<void>((resolve) => ca.listen(0, '127.0.0.1', resolve));
  const log = captureLog();
  const config = proxyConfig({
    domain: 'charger.test',
    'data-dir': path.join(root, 'data'),
    'http-port': 0,
    'acme-directory': `http://127.0.0.1:${(ca.address() as AddressInfo).port}/dir`,
  });
  const proxy = await startProxy(config, log.logger);
  try {
    await waitFor('the rate-limited attempt', () => log.find(/ACME renewal failed/) !== undefined, {
      ...ACME_POLL,
      timeoutMs: 10_000,
    });
    const failure = log.find(/ACME renewal failed/) as {
      problem: { type: string; detail: string; status: number };
      retryInSeconds: number;
    };
    assert.equal(failure.problem.type, 'urn:ietf:params:acme:error:rateLimited');
    assert.equal(failure.problem.detail, 'too many new accounts (5) from this IP in the last 3h');
    assert.equal(failure.problem.status, 429);
    assert.ok(
      failure.retryInSeconds >= 7200 && failure.retryInSeconds < 7300,
      `retry after Retry-After, got ${failure.retryInSeconds} s`,
    );
    const metrics = await proxy.registry.metrics();
    assert.equal(metricValue(metrics, 'ocpp_edge_acme_orders_total', { result: 'failure' }), 1);
    assert.ok(
      metricValue(metrics, 'ocpp_edge_acme_next_renewal_timestamp_seconds', { domain: 'charger.test' })! * 1000 >=
        Date.now() + 7_100_000,
    );
    assert.match(
      (await handshakeCertificate(proxy.httpsPort, 'charger.test')).subject,
      /placeholder/,
      'still serving the placeholder',
    );
    // One attempt only: acme-client's own retries are off, the schedule owns retrying.
    assert.equal(requests.filter((request) => request === 'POST /account').length, 1);
  } finally {
    await proxy.stop();
    await new Promise((resolve) => ca.close(resolve));
  }
});
