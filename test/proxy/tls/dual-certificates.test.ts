// An ECDSA and an RSA certificate for one domain (tls: files, two --cert/--key pairs): the handshake serves the
// one the client can verify, by its signature algorithms, with SNI and without. --tls-compat ocpp-legacy adds the
// static-RSA GCM suites OCTT TC_086 expects; without it a client offering only those is refused. Checked with
// openssl s_client, as an operator would; and testssl.sh finds nothing HIGH or CRITICAL in the default mode.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTempDir, startProxyUnderTest, type ProxyUnderTest } from '../../support/proxy-under-test.js';
import { startTestUpstream, type TestUpstream } from '../../support/test-upstream.js';
import {
  createTestCa,
  issueCertificate,
  writeCertificateFiles,
  type TestCertificate,
} from '../../support/test-certificates.js';

interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (bounded by timeoutMs), without blocking this process: the proxy runs in it. */
function run(command: string, args: string[], timeoutMs: number): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end();
  });
}

/** openssl s_client to the proxy: the handshake's outcome, the leaf certificate's serial and the cipher. */
async function sClient(port: number, args: string[]): Promise<{ ok: boolean; serial?: string; cipher?: string }> {
  const result = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...args], 15_000);
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(result.stdout)?.[0];
  const cipher = /^\s*Cipher\s*:\s*(\S+)/m.exec(result.stdout)?.[1];
  const ok = pem !== undefined && cipher !== undefined && cipher !== '0000' && cipher !== '(NONE)';
  return { ok, serial: pem && new X509Certificate(pem).serialNumber, cipher };
}

describe('an ECDSA and an RSA certificate for one domain', () => {
  let upstream: TestUpstream;
  let edge: ProxyUnderTest;
  let legacy: ProxyUnderTest;
  let ecdsa: TestCertificate;
  let rsa: TestCertificate;

  before(async () => {
    const dir = await makeTempDir('ocpp-edge-dual-');
    upstream = await startTestUpstream();
    const ca = await createTestCa();
    ecdsa = await issueCertificate(ca, ['localhost', '127.0.0.1']);
    rsa = await issueCertificate(
      await createTestCa('ocpp-edge test RSA CA', 'rsa'),
      ['localhost', '127.0.0.1'],
      90,
      'rsa',
    );
    const ecFiles = await writeCertificateFiles(dir, 'ecdsa', ecdsa);
    const rsaFiles = await writeCertificateFiles(dir, 'rsa', rsa);
    const flags = {
      upstream: [upstream.url],
      tls: 'files',
      cert: [ecFiles.certFile, rsaFiles.certFile],
      key: [ecFiles.keyFile, rsaFiles.keyFile],
      domain: ['localhost'],
    };
    edge = await startProxyUnderTest(flags);
    legacy = await startProxyUnderTest({ ...flags, 'tls-compat': 'ocpp-legacy' });
  });
  after(async () => {
    await edge?.close();
    await legacy?.close();
    await upstream?.close();
  });

  it('keeps both certificates for the name, ECDSA first', () => {
    const served = edge.proxy.certificateStore.list();
    assert.deepEqual(
      served.map((certificate) => [certificate.keyType, certificate.serialNumber]),
      [
        ['ec', ecdsa.serialNumber],
        ['rsa', rsa.serialNumber],
      ],
    );
  });

  for (const version of ['-tls1_2', '-tls1_3'])
    it(`serves the certificate the client's signature algorithms ask for (${version}, with and without SNI)`, async () => {
      for (const sni of [['-servername', 'localhost'], ['-noservername']]) {
        const ec = await sClient(edge.proxy.httpsPort, [version, ...sni, '-sigalgs', 'ECDSA+SHA256']);
        assert.equal(ec.serial, ecdsa.serialNumber, `ECDSA ${version} ${sni.join(' ')}`);
        const rsaSigalgs = version === '-tls1_3' ? 'rsa_pss_rsae_sha256' : 'RSA+SHA256:rsa_pss_rsae_sha256';
        const viaRsa = await sClient(edge.proxy.httpsPort, [version, ...sni, '-sigalgs', rsaSigalgs]);
        assert.equal(viaRsa.serial, rsa.serialNumber, `RSA ${version} ${sni.join(' ')}`);
      }
    });

  it('ECDHE with either certificate: ECDHE-ECDSA and ECDHE-RSA GCM suites', async () => {
    const ec = await sClient(edge.proxy.httpsPort, ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256']);
    assert.equal(ec.cipher, 'ECDHE-ECDSA-AES128-GCM-SHA256');
    assert.equal(ec.serial, ecdsa.serialNumber);
    const viaRsa = await sClient(edge.proxy.httpsPort, ['-tls1_2', '-cipher', 'ECDHE-RSA-AES256-GCM-SHA384']);
    assert.equal(viaRsa.cipher, 'ECDHE-RSA-AES256-GCM-SHA384');
    assert.equal(viaRsa.serial, rsa.serialNumber);
  });

  it('a client offering only the static-RSA GCM suites is refused by default, served with --tls-compat ocpp-legacy', async () => {
    for (const cipher of ['AES128-GCM-SHA256', 'AES256-GCM-SHA384']) {
      const refused = await sClient(edge.proxy.httpsPort, ['-tls1_2', '-servername', 'localhost', '-cipher', cipher]);
      assert.equal(refused.ok, false, `${cipher} without the flag`);
      const served = await sClient(legacy.proxy.httpsPort, ['-tls1_2', '-servername', 'localhost', '-cipher', cipher]);
      assert.equal(served.ok, true, `${cipher} with the flag`);
      assert.equal(served.cipher, cipher);
      assert.equal(served.serial, rsa.serialNumber);
    }
    // Modern clients still get ECDHE from the legacy-compatible proxy.
    const modern = await sClient(legacy.proxy.httpsPort, ['-tls1_2', '-servername', 'localhost']);
    assert.match(modern.cipher ?? '', /^ECDHE-/);
    const warning = legacy.logs.matching((line) => String(line.msg).startsWith('--tls-compat ocpp-legacy'));
    assert.equal(warning.length, 1);
    assert.match(String(warning[0]!.msg), /no forward secrecy/);
  });

  it('testssl.sh finds nothing HIGH or CRITICAL in the default mode', { timeout: 240_000 }, async (t) => {
    const testssl = await run('sh', ['-c', 'command -v testssl || command -v testssl.sh'], 5000);
    const binary = testssl.stdout.trim();
    if (!binary) {
      if (process.env.CI === 'true') assert.fail('testssl.sh is not installed (.ci/run installs it)');
      t.skip('testssl.sh is not installed (apt-get install testssl.sh)');
      return;
    }
    const dir = await makeTempDir('ocpp-edge-testssl-');
    const jsonFile = path.join(dir, 'testssl.json');
    // Protocols, cipher categories, forward secrecy and the vulnerability checks: the findings that rate the TLS
    // configuration. Not the certificate checks: the test CA is not trusted, which testssl rates CRITICAL.
    const result = await run(
      binary,
      [
        '--quiet',
        '--color',
        '0',
        '--warnings',
        'off',
        '--connect-timeout',
        '5',
        '--openssl-timeout',
        '5',
        '--jsonfile',
        jsonFile,
        '-p',
        '-s',
        '-f',
        '-U',
        `127.0.0.1:${edge.proxy.httpsPort}`,
      ],
      200_000,
    );
    const findings = JSON.parse(await readFile(jsonFile, 'utf8')) as Array<{
      id: string;
      severity: string;
      finding: string;
    }>;
    assert.ok(findings.length > 20, `testssl reported ${findings.length} findings (exit ${result.code})`);
    assert.ok(
      findings.some((finding) => finding.id === 'TLS1_3'),
      'the protocol checks ran',
    );
    assert.ok(
      findings.some((finding) => finding.id === 'heartbleed'),
      'the vulnerability checks ran',
    );
    const serious = findings.filter((finding) => finding.severity === 'HIGH' || finding.severity === 'CRITICAL');
    assert.deepEqual(serious, []);
  });
});
