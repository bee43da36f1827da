// The data-dir ACME store: certificate facts read from PEM, atomic writes that never pair a new key with an old
// chain, and a failed write that leaves the live certificate untouched. (The data-dir lock: file-lock.test.ts.)

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs, { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { syncBuiltinESMExports } from 'node:module';
import { after, describe, mock, test } from 'node:test';
import { generate } from 'selfsigned';
import { ariCertificateId, readCertificateInfo } from '../../../../proxy/tls/acme/certificate-info.js';
import { FileAcmeStore } from '../../../../proxy/tls/acme/file-store.js';

const root = mkdtempSync(path.join(tmpdir(), 'ocpp-edge-acme-storage-'));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshDir = () => {
  counter += 1;
  return path.join(root, `case-${counter}`);
};

async function certificate(name: string, withCa = true): Promise<{ certPem: string; keyPem: string }> {
  const ca = await generate([{ name: 'commonName', value: 'Test CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [{ name: 'basicConstraints', cA: true }],
  });
  const leaf = await generate([{ name: 'commonName', value: name }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: name }] }],
    ...(withCa ? { ca: { key: ca.private, cert: ca.cert } } : {}),
  });
  return { certPem: withCa ? `${leaf.cert}${ca.cert}` : leaf.cert, keyPem: leaf.private };
}

function record(certPem: string) {
  const info = readCertificateInfo(certPem);
  return {
    domains: info.names,
    keyType: info.keyType,
    directory: 'https://ca.test/dir',
    serialNumber: info.serialNumber,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
    issuedAt: new Date().toISOString(),
  };
}

describe('certificate facts', () => {
  test('reads names, key type, chain length and DER bytes', async () => {
    const { certPem } = await certificate('charger.test');
    const info = readCertificateInfo(certPem);
    assert.deepEqual(info.names, ['charger.test']);
    assert.equal(info.keyType, 'ecdsa-p256');
    assert.equal(info.chainLength, 2);
    assert.ok(info.chainBytes > 500 && info.chainBytes < certPem.length);
  });

  test('the RFC 9773 certificate id is base64url(AKI keyIdentifier) "." base64url(serial DER), as openssl reads them', async () => {
    // openssl adds the authority key identifier a CA-issued certificate carries (selfsigned does not).
    const directory = freshDir();
    fs.mkdirSync(directory, { recursive: true });
    const openssl = (...args: string[]) =>
      execFileSync('openssl', args, { cwd: directory, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'];
    openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=Test CA');
    openssl(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'leaf.key',
      '-out',
      'leaf.pem',
      '-subj',
      '/CN=charger.test',
      '-addext',
      'subjectAltName=DNS:charger.test',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
    );
    const leafPem = fs.readFileSync(path.join(directory, 'leaf.pem'), 'utf8');
    const certPem = leafPem + fs.readFileSync(path.join(directory, 'ca.pem'), 'utf8');
    const text = openssl('x509', '-in', 'leaf.pem', '-noout', '-ext', 'authorityKeyIdentifier', '-serial');
    const akiHex = /([0-9A-F]{2}(?::[0-9A-F]{2})+)/.exec(text.split('\n').slice(1).join('\n'))![1].replace(/:/g, '');
    let serialHex = /serial=([0-9A-F]+)/.exec(text)![1];
    if (serialHex.length % 2) serialHex = `0${serialHex}`;
    if (parseInt(serialHex.slice(0, 2), 16) >= 0x80) serialHex = `00${serialHex}`; // DER INTEGER keeps a sign byte
    const expected = `${Buffer.from(akiHex, 'hex').toString('base64url')}.${Buffer.from(serialHex, 'hex').toString('base64url')}`;
    assert.equal(readCertificateInfo(certPem).ariCertId, expected);
    assert.equal(ariCertificateId(Buffer.from(leafPem.replace(/-----[^-]+-----|\s/g, ''), 'base64')), expected);
  });
});

describe('ACME storage', () => {
  test('private keys are 0600, and what current.json names is what is read back', async () => {
    const storage = new FileAcmeStore(freshDir());
    const { certPem, keyPem } = await certificate('charger.test');
    const stored = await storage.writeCertificate('charger.test', certPem, keyPem, record(certPem));
    assert.equal(statSync(stored.keyPath).mode & 0o777, 0o600);
    await storage.writeAccountKey('https://ca.test/dir', keyPem);
    assert.equal(
      statSync(path.join(storage.accountDirectory('https://ca.test/dir'), 'account.key')).mode & 0o777,
      0o600,
    );
    const read = await storage.readCertificate('charger.test');
    assert.equal(read?.certPem, certPem);
    assert.equal(read?.keyPem, keyPem);
    assert.deepEqual(await storage.listDomains(), ['charger.test']);
  });

  test('a write failing half-way (disk full) leaves the previous certificate live and no partial file', async () => {
    const storage = new FileAcmeStore(freshDir());
    const first = await certificate('charger.test');
    await storage.writeCertificate('charger.test', first.certPem, first.keyPem, record(first.certPem));
    const second = await certificate('charger.test');
    // The key lands, then the chain cannot be written: ENOSPC.
    const realOpen = fs.promises.open;
    mock.method(fs.promises, 'open', async (file: fs.PathLike, ...rest: unknown[]) => {
      if (String(file).includes('fullchain.pem.tmp'))
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      return (realOpen as (...args: unknown[]) => Promise<fs.promises.FileHandle>)(file, ...rest);
    });
    syncBuiltinESMExports();
    try {
      await assert.rejects(
        storage.writeCertificate('charger.test', second.certPem, second.keyPem, record(second.certPem)),
        /ENOSPC/,
      );
    } finally {
      mock.restoreAll();
      syncBuiltinESMExports();
    }
    const live = await storage.readCertificate('charger.test');
    assert.equal(live?.certPem, first.certPem);
    assert.equal(live?.keyPem, first.keyPem);
    const leftovers = readdirSync(storage.certificateDirectory('charger.test'), { recursive: true })
      .map(String)
      .filter((name) => name.includes('.tmp-'));
    assert.deepEqual(leftovers, []);
  });
});
