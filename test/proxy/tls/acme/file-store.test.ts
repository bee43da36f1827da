import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs, { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { syncBuiltinESMExports } from 'node:module';
import { after, describe, mock, test } from 'node:test';
import { generate } from 'selfsigned';
import { ariCertificateId, readCertificateInfo } from '../../../../proxy/tls/acme/certificate-info.js';
import { FileLock, LockBusyError } from '../../../../proxy/tls/acme/lock.js';
import { AcmeStorage } from '../../../../proxy/tls/acme/storage.js';

const root = mkdtempSync(path.join(tmpdir(), 'ocpp-edge-acme-storage-'));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshDir = () => path.join(root, `case-${(counter += 1)}`);

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
    const storage = new AcmeStorage(freshDir());
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
    const storage = new AcmeStorage(freshDir());
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

describe('data-dir lock', () => {
  test('one holder at a time; a waiter gets it when the holder releases', async () => {
    const file = path.join(freshDir(), 'acme', 'lock');
    const a = new FileLock(file, { pollMs: 20 });
    const b = new FileLock(file, { pollMs: 20 });
    const held = await a.acquire('first', 0);
    await assert.rejects(b.acquire('second', 100), LockBusyError);
    const waiting = b.acquire('second', 5_000);
    setTimeout(() => void held.release(), 100);
    const second = await waiting;
    assert.equal(second.holder.purpose, 'second');
    await second.release();
  });

  test('a lock left by a crashed process on this host is taken over at once', async () => {
    const file = path.join(freshDir(), 'acme', 'lock');
    // A real process that held the lock and died without releasing it.
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10)']);
    const deadPid = child.pid!;
    await new Promise((resolve) => child.once('exit', resolve));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const now = new Date().toISOString();
    writeFileSync(
      file,
      JSON.stringify({
        pid: deadPid,
        hostname: (await import('node:os')).hostname(),
        token: 'dead',
        acquiredAt: now,
        heartbeatAt: now,
        purpose: 'crashed',
      }),
    );
    const started = Date.now();
    const held = await new FileLock(file).acquire('survivor', 1_000);
    assert.ok(Date.now() - started < 500);
    assert.equal(held.holder.purpose, 'survivor');
    await held.release();
  });

  test('a lock from another host is taken over only when its heartbeat is stale', async () => {
    const file = path.join(freshDir(), 'acme', 'lock');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const fresh = new Date().toISOString();
    writeFileSync(
      file,
      JSON.stringify({
        pid: 1,
        hostname: 'other-host',
        token: 'x',
        acquiredAt: fresh,
        heartbeatAt: fresh,
        purpose: 'remote',
      }),
    );
    await assert.rejects(new FileLock(file, { staleMs: 60_000, pollMs: 20 }).acquire('local', 100), LockBusyError);
    const old = new Date(Date.now() - 120_000).toISOString();
    writeFileSync(
      file,
      JSON.stringify({
        pid: 1,
        hostname: 'other-host',
        token: 'y',
        acquiredAt: old,
        heartbeatAt: old,
        purpose: 'remote',
      }),
    );
    const held = await new FileLock(file, { staleMs: 60_000 }).acquire('local', 100);
    assert.equal(held.holder.purpose, 'local');
    await held.release();
  });

  test("the holder's heartbeat keeps its lock fresh", async () => {
    const file = path.join(freshDir(), 'acme', 'lock');
    const lock = new FileLock(file, { heartbeatMs: 50, staleMs: 300, pollMs: 20 });
    const held = await lock.acquire('long order', 0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await assert.rejects(new FileLock(file, { staleMs: 300, pollMs: 20 }).acquire('intruder', 100), LockBusyError);
    await held.release();
  });
});
