// Issue 2, point 2 (HTTP listener): ACME http-01 challenges answered from the challenge store (files shared by
// every process using the data dir), everything else redirected to HTTPS keeping path and query, and never to a
// host we do not serve.

import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startProxyUnderTest, type ProxyUnderTest } from '../support/proxy-under-test.js';
import { startTestUpstream, type TestUpstream } from '../support/test-upstream.js';

interface PlainResult {
  status: number;
  location?: string;
  body: string;
}

function plainGet(port: number, requestPath: string, host: string): Promise<PlainResult> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port, path: requestPath, headers: { host }, agent: false, timeout: 5000 },
      (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, location: response.headers.location, body }),
        );
      },
    );
    request.on('error', reject);
    request.on('timeout', () => request.destroy(new Error('no answer')));
    request.end();
  });
}

describe('HTTP listener', () => {
  let upstream: TestUpstream;
  let edge: ProxyUnderTest;

  before(async () => {
    upstream = await startTestUpstream();
    edge = await startProxyUnderTest({
      upstream: [upstream.url],
      tls: 'self-signed',
      domain: ['ocpp.example.com', 'www.example.com'],
    });
  });

  after(async () => {
    await edge?.close();
    await upstream?.close();
  });

  test('redirects to https with 301, keeping path and query', async () => {
    const result = await plainGet(edge.proxy.httpPort, '/api/charge-points?status=online&page=2', 'ocpp.example.com');
    assert.equal(result.status, 301);
    assert.equal(
      result.location,
      `https://ocpp.example.com:${edge.proxy.httpsPort}/api/charge-points?status=online&page=2`,
    );
  });

  test('keeps the requested host when it is one of ours (case and port ignored)', async () => {
    const result = await plainGet(edge.proxy.httpPort, '/', `WWW.Example.com:${edge.proxy.httpPort}`);
    assert.equal(result.location, `https://www.example.com:${edge.proxy.httpsPort}/`);
  });

  test('is not an open redirect: any other Host goes to the primary domain', async () => {
    for (const host of ['evil.example.net', 'ocpp.example.com.evil.net', '127.0.0.1']) {
      const result = await plainGet(edge.proxy.httpPort, '//evil.example.net/path?x=1', host);
      assert.equal(result.status, 301);
      const location = new URL(result.location!);
      assert.equal(location.hostname, 'ocpp.example.com', `Host ${host}`);
      assert.equal(location.pathname, '//evil.example.net/path');
    }
  });

  test('answers an ACME challenge from the challenge store', async () => {
    await edge.proxy.challengeStore.set('tok_en-1', 'tok_en-1.thumbprint');
    const result = await plainGet(edge.proxy.httpPort, '/.well-known/acme-challenge/tok_en-1', 'ocpp.example.com');
    assert.equal(result.status, 200);
    assert.equal(result.body, 'tok_en-1.thumbprint');
    await edge.proxy.challengeStore.remove('tok_en-1');
    assert.equal(
      (await plainGet(edge.proxy.httpPort, '/.well-known/acme-challenge/tok_en-1', 'ocpp.example.com')).status,
      404,
    );
  });

  test('answers challenges another process wrote into the shared data dir', async () => {
    const directory = path.join(edge.dataDir, 'acme-challenges');
    await mkdir(directory, { recursive: true });
    await writeFile(path.join(directory, 'written-elsewhere'), 'written-elsewhere.key');
    const result = await plainGet(edge.proxy.httpPort, '/.well-known/acme-challenge/written-elsewhere', 'anything');
    assert.equal(result.status, 200);
    assert.equal(result.body, 'written-elsewhere.key');
  });

  test('unknown and malformed tokens are 404, never a file outside the store', async () => {
    for (const token of ['unknown', '..%2F..%2Fself-signed%2Focpp.example.com.key', '.hidden', 'a.b']) {
      assert.equal(
        (await plainGet(edge.proxy.httpPort, `/.well-known/acme-challenge/${token}`, 'ocpp.example.com')).status,
        404,
        token,
      );
    }
    await assert.rejects(edge.proxy.challengeStore.set('../escape', 'x'));
  });
});
