// Issue 2, point 8 (lifecycle): on stop (SIGTERM) the proxy stops accepting, lets requests in flight finish
// (bounded by --drain-timeout), closes WebSockets with 1001 "going away" on both sides and is done within a
// bounded grace; reload (SIGHUP) swaps certificates without dropping connections. In-process, then through the
// real command line with real signals.

import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { startProxyUnderTest, makeTempDir } from '../support/proxy-under-test.js';
import { startProxyProcess } from '../support/proxy-process.js';
import {
  createTestCa,
  issueCertificate,
  writeCertificateFiles,
  type CertificateFiles,
  type TestCertificate,
} from '../support/test-certificates.js';
import { startTestUpstream, type TestUpstream } from '../support/test-upstream.js';
import { closed, httpsRequest, nextMessage, openWebSocket, tlsConnect } from '../support/tls-clients.js';
import { waitFor } from '../support/waiting.js';

describe('stop (in process)', () => {
  let upstream: TestUpstream;

  before(async () => {
    upstream = await startTestUpstream();
  });

  after(async () => {
    await upstream?.close();
  });

  test('requests in flight finish, WebSockets get 1001 on both sides, then nothing is accepted', async () => {
    const edge = await startProxyUnderTest({ upstream: [upstream.url], tls: 'self-signed' });
    const port = edge.proxy.httpsPort;
    const charger = await openWebSocket(port, '/ocpp/CP-STOP', 'ocpp1.6');
    await waitFor('the upstream session', () => upstream.webSockets().size === 1);
    const [upstreamSide] = upstream.webSockets();
    const upstreamClosed = new Promise<number>((resolve) => upstreamSide.once('close', (code) => resolve(code)));
    const chargerClosed = closed(charger);
    const inFlight = httpsRequest(port, '/delay?ms=600');
    await waitFor('the request to reach the upstream', () =>
      upstream.requests.some((request) => request.url === '/delay?ms=600'),
    );

    const started = Date.now();
    const stopped = edge.close();
    assert.deepEqual(await chargerClosed, { code: 1001, reason: 'going away' });
    assert.equal(await upstreamClosed, 1001);
    const response = await inFlight;
    assert.equal(response.status, 200);
    await stopped;
    assert.ok(Date.now() - started < 4000, `stopped after ${Date.now() - started} ms`);
    await assert.rejects(httpsRequest(port, '/health'), /ECONNREFUSED/);
    await waitFor('the upstream sockets to close', () => upstream.openSockets() === 0);
    const line = edge.logs.accessLines().find((entry) => entry.chargePointId === 'CP-STOP');
    assert.equal(line?.result, 'shutdown');
    assert.equal(line?.closeCode, 1001);
  });

  test('a request longer than --drain-timeout is cut when the drain ends', async () => {
    const edge = await startProxyUnderTest({ upstream: [upstream.url], tls: 'self-signed', 'drain-timeout': 1 });
    const slow = httpsRequest(edge.proxy.httpsPort, '/slow').then(
      () => 'answered',
      () => 'cut',
    );
    await waitFor('the slow request to reach the upstream', () =>
      upstream.requests.some((request) => request.url === '/slow'),
    );
    const started = Date.now();
    await edge.close();
    const elapsed = Date.now() - started;
    assert.equal(await slow, 'cut');
    assert.ok(elapsed >= 900 && elapsed < 3000, `stopped after ${elapsed} ms`);
  });
});

describe('the proxy command', () => {
  let upstream: TestUpstream;
  let certDir: string;
  let ca: TestCertificate;
  let files: CertificateFiles;

  before(async () => {
    upstream = await startTestUpstream();
    certDir = await makeTempDir('ocpp-edge-certs-');
    ca = await createTestCa();
    files = await writeCertificateFiles(certDir, 'localhost', await issueCertificate(ca, ['localhost']));
  });

  after(async () => {
    await upstream?.close();
    await rm(certDir, { recursive: true, force: true });
  });

  test('SIGHUP reloads the certificate without dropping an open WebSocket; SIGTERM closes it with 1001 and exits 0', async () => {
    const proxy = await startProxyProcess([
      '--upstream',
      upstream.url,
      '--cert',
      files.certFile,
      '--key',
      files.keyFile,
      '--domain',
      'localhost',
    ]);
    try {
      const charger = await openWebSocket(proxy.httpsPort, '/ocpp/CP-SIGNALS', 'ocpp1.6');
      const renewed = await issueCertificate(ca, ['localhost']);
      await writeFile(files.certFile, renewed.certPem);
      await writeFile(files.keyFile, renewed.keyPem);
      proxy.child.kill('SIGHUP');
      await proxy.logLine('reloaded', 5000);
      const socket = await tlsConnect(proxy.httpsPort, { servername: 'localhost' });
      assert.equal(socket.getPeerX509Certificate()?.serialNumber, renewed.serialNumber);
      socket.destroy();
      charger.send('after reload');
      assert.equal(await nextMessage(charger), 'echo:after reload');

      const chargerClosed = closed(charger);
      const started = Date.now();
      proxy.child.kill('SIGTERM');
      assert.equal((await chargerClosed).code, 1001);
      assert.equal(await proxy.exited, 0);
      assert.ok(Date.now() - started < 5000, `exited after ${Date.now() - started} ms`);
    } finally {
      proxy.child.kill('SIGKILL');
    }
  });
});
