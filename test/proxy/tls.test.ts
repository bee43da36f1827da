// Issue 2, point 1 (TLS): protocol versions and the plan's ciphers, session resumption, SNI among several
// certificates with the primary for clients without SNI, certificates re-read when they change on disk or on
// reload while open connections stay up, and the self-signed certificate generated once and reused.

import assert from 'node:assert/strict';
import { constants, X509Certificate } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { TLS12_CIPHERS } from '../../proxy/tls/tls-options.js';
import {
  makeTempDir,
  metricValue,
  scrapeMetrics,
  startProxyUnderTest,
  type ProxyUnderTest,
} from '../support/proxy-under-test.js';
import {
  createTestCa,
  issueCertificate,
  writeCertificateFiles,
  type CertificateFiles,
  type TestCertificate,
} from '../support/test-certificates.js';
import { startTestUpstream, type TestUpstream } from '../support/test-upstream.js';
import { httpsRequest, nextMessage, openWebSocket, sessionOf, tlsConnect } from '../support/tls-clients.js';
import { waitFor } from '../support/waiting.js';

function servedSerial(socket: TLSSocket): string {
  return socket.getPeerX509Certificate()!.serialNumber;
}

async function serialFor(port: number, servername: string | undefined): Promise<string> {
  const socket = await tlsConnect(port, servername === undefined ? {} : { servername });
  try {
    return servedSerial(socket);
  } finally {
    socket.destroy();
  }
}

describe('TLS', () => {
  let upstream: TestUpstream;
  let certDir: string;
  let ca: TestCertificate;
  let localhost: TestCertificate;
  let second: TestCertificate;
  let localhostFiles: CertificateFiles;
  let secondFiles: CertificateFiles;
  let edge: ProxyUnderTest;

  before(async () => {
    upstream = await startTestUpstream();
    certDir = await makeTempDir('ocpp-edge-certs-');
    ca = await createTestCa();
    localhost = await issueCertificate(ca, ['localhost', '127.0.0.1']);
    second = await issueCertificate(ca, ['second.test']);
    localhostFiles = await writeCertificateFiles(certDir, 'localhost', localhost);
    secondFiles = await writeCertificateFiles(certDir, 'second', second);
    // The primary is the first --domain, whatever the order of the certificates.
    edge = await startProxyUnderTest({
      upstream: [upstream.url],
      domain: ['second.test', 'localhost'],
      cert: [localhostFiles.certFile, secondFiles.certFile],
      key: [localhostFiles.keyFile, secondFiles.keyFile],
    });
  });

  after(async () => {
    await edge?.close();
    await upstream?.close();
    await rm(certDir, { recursive: true, force: true });
  });

  test('--cert/--key imply --tls files', () => {
    assert.equal(
      edge.proxy.certificateStore.list().every((certificate) => certificate.origin === 'files'),
      true,
    );
  });

  test('SNI picks the certificate for the server name', async () => {
    assert.equal(await serialFor(edge.proxy.httpsPort, 'localhost'), localhost.serialNumber);
    assert.equal(await serialFor(edge.proxy.httpsPort, 'second.test'), second.serialNumber);
  });

  test('a client without SNI, or with an unknown name, gets the primary domain certificate', async () => {
    assert.equal(await serialFor(edge.proxy.httpsPort, undefined), second.serialNumber);
    assert.equal(await serialFor(edge.proxy.httpsPort, 'unknown.test'), second.serialNumber);
  });

  test('a client trusting the CA verifies the certificate for its name', async () => {
    const socket = await tlsConnect(edge.proxy.httpsPort, {
      servername: 'localhost',
      ca: ca.certPem,
      rejectUnauthorized: true,
    });
    assert.equal(socket.authorized, true);
    socket.destroy();
  });

  test('TLS 1.3 is offered', async () => {
    const socket = await tlsConnect(edge.proxy.httpsPort, { servername: 'localhost' });
    assert.equal(socket.getProtocol(), 'TLSv1.3');
    socket.destroy();
  });

  test('TLS 1.2 uses a cipher from the plan', async () => {
    const socket = await tlsConnect(edge.proxy.httpsPort, { servername: 'localhost', maxVersion: 'TLSv1.2' });
    assert.equal(socket.getProtocol(), 'TLSv1.2');
    assert.ok(TLS12_CIPHERS.split(':').includes(socket.getCipher().name), socket.getCipher().name);
    socket.destroy();
  });

  test('TLS 1.2 ciphers outside the plan are refused', async () => {
    await assert.rejects(
      tlsConnect(edge.proxy.httpsPort, {
        servername: 'localhost',
        maxVersion: 'TLSv1.2',
        ciphers: 'ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA',
      }),
    );
  });

  test('TLS 1.1 and 1.0 are refused and counted as handshake errors', async () => {
    const before = metricValue(await scrapeMetrics(edge.proxy), 'ocpp_edge_tls_handshake_errors_total') ?? 0;
    await assert.rejects(
      tlsConnect(edge.proxy.httpsPort, {
        servername: 'localhost',
        minVersion: 'TLSv1',
        maxVersion: 'TLSv1.1',
        ciphers: 'DEFAULT@SECLEVEL=0',
      }),
    );
    await waitFor(
      'the handshake error to be counted',
      async () => (metricValue(await scrapeMetrics(edge.proxy), 'ocpp_edge_tls_handshake_errors_total') ?? 0) > before,
    );
    assert.equal((await httpsRequest(edge.proxy.httpsPort, '/health')).status, 200);
  });

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    test(`${version} sessions are resumed with a ticket`, async () => {
      const first = await tlsConnect(edge.proxy.httpsPort, {
        servername: 'localhost',
        maxVersion: version,
        minVersion: version,
      });
      const session = await sessionOf(first);
      first.destroy();
      const resumed = await tlsConnect(edge.proxy.httpsPort, {
        servername: 'localhost',
        maxVersion: version,
        minVersion: version,
        session,
      });
      assert.equal(resumed.isSessionReused(), true);
      resumed.destroy();
    });
  }

  test('TLS 1.2 sessions are resumed by session id when the client does not take tickets', async () => {
    const options = {
      servername: 'localhost',
      maxVersion: 'TLSv1.2' as const,
      secureOptions: constants.SSL_OP_NO_TICKET,
    };
    const first = await tlsConnect(edge.proxy.httpsPort, options);
    const session = await sessionOf(first);
    first.destroy();
    const resumed = await tlsConnect(edge.proxy.httpsPort, { ...options, session });
    assert.equal(resumed.isSessionReused(), true);
    resumed.destroy();
  });

  test('a certificate replaced on disk serves new handshakes while an open connection stays open', async () => {
    const charger = await openWebSocket(edge.proxy.httpsPort, '/ocpp/CP-RENEW', 'ocpp1.6');
    const renewed = await issueCertificate(ca, ['localhost', '127.0.0.1']);
    // As a renewal tool would: write aside, then rename over the old files.
    await writeFile(`${localhostFiles.keyFile}.new`, renewed.keyPem);
    await writeFile(`${localhostFiles.certFile}.new`, renewed.certPem);
    await rename(`${localhostFiles.keyFile}.new`, localhostFiles.keyFile);
    await rename(`${localhostFiles.certFile}.new`, localhostFiles.certFile);
    await waitFor(
      'the renewed certificate to be served',
      async () => (await serialFor(edge.proxy.httpsPort, 'localhost')) === renewed.serialNumber,
      { timeoutMs: 5000, intervalMs: 50 },
    );
    assert.equal(charger.readyState, charger.OPEN);
    charger.send('still here');
    assert.equal(await nextMessage(charger), 'echo:still here');
    charger.close();
    // The other certificate was not touched.
    assert.equal(await serialFor(edge.proxy.httpsPort, 'second.test'), second.serialNumber);
    const metrics = await scrapeMetrics(edge.proxy);
    assert.ok((metricValue(metrics, 'ocpp_edge_config_reloads_total', { result: 'success' }) ?? 0) >= 1);
  });

  test('reload() re-reads the files; a broken pair is refused and the old certificate kept', async () => {
    const renewed = await issueCertificate(ca, ['second.test']);
    const other = await issueCertificate(ca, ['second.test']);
    // A key that does not belong to the certificate: reload fails, nothing changes.
    await writeFile(secondFiles.certFile, renewed.certPem);
    await writeFile(secondFiles.keyFile, other.keyPem);
    await assert.rejects(edge.proxy.reload(), /does not match/);
    const current = await serialFor(edge.proxy.httpsPort, 'second.test');
    assert.notEqual(current, renewed.serialNumber);
    await writeFile(secondFiles.keyFile, renewed.keyPem);
    await edge.proxy.reload();
    assert.equal(await serialFor(edge.proxy.httpsPort, 'second.test'), renewed.serialNumber);
    const metrics = await scrapeMetrics(edge.proxy);
    assert.ok((metricValue(metrics, 'ocpp_edge_config_reloads_total', { result: 'failure' }) ?? 0) >= 1);
  });
});

describe('self-signed certificates', () => {
  test('are generated once for the configured domains into the data dir and reused', async () => {
    const upstream = await startTestUpstream();
    const dataDir = await makeTempDir();
    try {
      const first = await startProxyUnderTest(
        { upstream: [upstream.url], tls: 'self-signed', domain: ['localhost', 'edge.test'] },
        { dataDir },
      );
      const serial = await serialFor(first.proxy.httpsPort, 'edge.test');
      await first.close();
      const certPem = await readFile(path.join(dataDir, 'self-signed', 'localhost.crt'), 'utf8');
      const certificate = new X509Certificate(certPem);
      assert.equal(certificate.serialNumber, serial);
      assert.match(certificate.subjectAltName ?? '', /DNS:localhost/);
      assert.match(certificate.subjectAltName ?? '', /DNS:edge\.test/);

      const second = await startProxyUnderTest(
        { upstream: [upstream.url], tls: 'self-signed', domain: ['localhost', 'edge.test'] },
        { dataDir },
      );
      assert.equal(await serialFor(second.proxy.httpsPort, 'localhost'), serial);
      assert.equal((await httpsRequest(second.proxy.httpsPort, '/health')).status, 200);
      await second.close();
    } finally {
      await upstream.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('certificate paths in the config file', () => {
  test('reload() applies new --cert/--key paths from the config file; a bad new pair keeps the old one', async () => {
    const upstream = await startTestUpstream();
    const dir = await makeTempDir('ocpp-edge-config-reload-');
    try {
      const ca = await createTestCa();
      const first = await issueCertificate(ca, ['localhost']);
      const next = await issueCertificate(ca, ['localhost']);
      const firstFiles = await writeCertificateFiles(dir, 'first', first);
      const nextFiles = await writeCertificateFiles(dir, 'next', next);
      const configFile = path.join(dir, 'edge.yaml');
      const configWith = (files: CertificateFiles, keyFile = files.keyFile) =>
        `proxy:\n  cert: [${JSON.stringify(files.certFile)}]\n  key: [${JSON.stringify(keyFile)}]\n  domain: [localhost]\n`;
      await writeFile(configFile, configWith(firstFiles));
      const edge = await startProxyUnderTest({ config: configFile, upstream: [upstream.url] });
      try {
        assert.equal(await serialFor(edge.proxy.httpsPort, 'localhost'), first.serialNumber);
        const charger = await openWebSocket(edge.proxy.httpsPort, '/ocpp/CP-PATHS', 'ocpp1.6');

        await writeFile(configFile, configWith(nextFiles, firstFiles.keyFile));
        await assert.rejects(edge.proxy.reload(), /does not match/);
        assert.equal(await serialFor(edge.proxy.httpsPort, 'localhost'), first.serialNumber);

        await writeFile(configFile, configWith(nextFiles));
        await edge.proxy.reload();
        assert.equal(await serialFor(edge.proxy.httpsPort, 'localhost'), next.serialNumber);
        charger.send('still open');
        assert.equal(await nextMessage(charger), 'echo:still open');
        charger.close();
      } finally {
        await edge.close();
      }
    } finally {
      await upstream.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
