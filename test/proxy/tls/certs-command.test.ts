// `ocpp-edge certs list|renew` honour `tls:`. With certificates from files or self-signed, `renew` orders
// nothing (no ACME account, no request to any CA, exit 2 saying why), and `list` shows the certificate the proxy
// serves, as a TLS handshake with it would see.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanEnvironment, runCli } from '../../support/cli.js';
import { makeTempDir, startProxyUnderTest } from '../../support/proxy-under-test.js';
import {
  createTestCa,
  issueCertificate,
  writeCertificateFiles,
  type CertificateFiles,
} from '../../support/test-certificates.js';
import { handshakeCertificate } from '../../support/acme-helpers.js';

describe('certs renew and certs list with tls: files or self-signed', () => {
  let dir: string;
  let files: CertificateFiles;
  /** A stand-in ACME directory that counts every request made to it. */
  let ca: http.Server;
  let caRequests = 0;
  let directoryUrl: string;
  const env = cleanEnvironment();

  before(async () => {
    dir = await makeTempDir('ocpp-edge-certs-');
    const testCa = await createTestCa();
    files = await writeCertificateFiles(
      dir,
      'served',
      await issueCertificate(testCa, ['charger.example', 'www.charger.example']),
    );
    ca = http.createServer((_req, res) => {
      caRequests++;
      res.writeHead(500).end();
    });
    await new Promise<void>((resolve) => ca.listen(0, '127.0.0.1', resolve));
    directoryUrl = `http://127.0.0.1:${(ca.address() as AddressInfo).port}/directory`;
  });
  after(async () => {
    await new Promise((resolve) => ca.close(resolve));
  });

  test('renew with tls: self-signed (also for localhost) orders nothing and exits 2 saying why', async () => {
    const dataDir = path.join(dir, 'self-signed-data');
    const result = await runCli(
      [
        'certs',
        'renew',
        '--force',
        '--tls',
        'self-signed',
        '--domain',
        'localhost',
        '--data-dir',
        dataDir,
        '--acme-directory',
        directoryUrl,
      ],
      { env },
    );
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.match(
      result.stderr,
      /certs renew orders ACME certificates, but the proxy's come from tls: self-signed \(--tls\)/,
    );
    assert.match(result.stderr, /Set tls: acme/);
    assert.equal(caRequests, 0, 'no request to the CA');
    assert.equal(existsSync(path.join(dataDir, 'acme')), false, 'no ACME account created');
  });

  test('renew with tls: files from the config file names the file key; unset tls says what it defaults to', async () => {
    const config = path.join(dir, 'files.yaml');
    await writeFile(
      config,
      `proxy:\n  tls: files\n  cert: [${files.certFile}]\n  key: [${files.keyFile}]\n  acme-directory: ${directoryUrl}\n`,
    );
    const fromFile = await runCli(['certs', 'renew', '--config', config, '--domain', 'charger.example'], { env });
    assert.equal(fromFile.code, 2);
    assert.match(fromFile.stderr, new RegExp(`tls: files \\(proxy\\.tls in ${config.replace(/[.]/g, '\\.')}\\)`));
    const unset = await runCli(
      ['certs', 'renew', '--domain', 'x.example', '--acme-directory', directoryUrl, '--data-dir', dir],
      { env },
    );
    assert.equal(unset.code, 2);
    assert.match(unset.stderr, /tls: self-signed \(tls not set: files with --cert, else self-signed\)/);
    assert.equal(caRequests, 0);
  });

  test('list with tls: files shows the certificate files the proxy serves', async () => {
    const json = await runCli(['certs', 'list', '--json', '--cert', files.certFile, '--key', files.keyFile], { env });
    assert.equal(json.code, 0, json.stderr);
    const [listing] = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    assert.equal(listing.source, 'files');
    assert.deepEqual(listing.names, ['charger.example', 'www.charger.example']);
    assert.equal(listing.path, files.certFile);
    assert.ok((listing.daysLeft as number) > 80);
    const table = await runCli(['certs', 'list', '--cert', files.certFile, '--key', files.keyFile], { env });
    assert.match(
      table.stdout,
      /^DOMAIN\s+NAMES\s+ISSUER\s+KEY\s+NOT BEFORE\s+NOT AFTER\s+DAYS LEFT\s+CHAIN\s+BYTES\s+SOURCE/,
    );
    assert.match(table.stdout, /charger\.example\s+charger\.example,www\.charger\.example\s+.*files/);
    assert.doesNotMatch(table.stdout, /No ACME certificates/);
  });

  test('list with tls: self-signed shows the certificate a running proxy serves', async () => {
    const edge = await startProxyUnderTest({
      tls: 'self-signed',
      domain: ['localhost'],
      upstream: ['http://127.0.0.1:9'],
    });
    try {
      const served = await handshakeCertificate(edge.proxy.httpsPort, 'localhost');
      const result = await runCli(
        ['certs', 'list', '--json', '--tls', 'self-signed', '--domain', 'localhost', '--data-dir', edge.dataDir],
        { env },
      );
      assert.equal(result.code, 0, result.stderr);
      const [listing] = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
      assert.equal(listing.source, 'self-signed');
      assert.equal(listing.serialNumber, served.serialNumber);
      assert.ok((listing.names as string[]).includes('localhost'));
    } finally {
      await edge.close();
    }
    const empty = await runCli(['certs', 'list', '--tls', 'self-signed', '--data-dir', path.join(dir, 'nothing-yet')], {
      env,
    });
    assert.equal(empty.code, 0);
    assert.match(empty.stdout, /No self-signed certificate in .* yet: the proxy generates it at its first start/);
  });
});
