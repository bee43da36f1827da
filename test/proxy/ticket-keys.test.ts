// --tls-ticket-keys (proxy/tls/ticket-keys.ts): proxies that read the same key file resume each other's TLS 1.3
// and TLS 1.2 sessions, as PM2 workers or machines behind a balancer must; without it each process has keys of its
// own. The file is created once, 0600, when several processes start on it together; it may be raw, hex or base64;
// anything else stops the proxy with a configuration error naming the key; reload() applies a rewritten file and
// keeps the key across a certificate swap. Real proxy processes and real TLS clients.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ConnectionOptions } from 'node:tls';
import { ConfigError } from '../../common/config.js';
import { loadTicketKeys, TICKET_KEYS_BYTES } from '../../proxy/tls/ticket-keys.js';
import { makeTempDir, startProxyUnderTest } from '../support/proxy-under-test.js';
import {
  EPHEMERAL_PROXY_PORTS,
  runProxyCommand,
  startProxyProcess,
  type ProxyProcess,
} from '../support/proxy-process.js';
import {
  createTestCa,
  issueCertificate,
  writeCertificateFiles,
  type CertificateFiles,
  type TestCertificate,
} from '../support/test-certificates.js';
import { newTlsSession, resumesSession, tlsConnect } from '../support/tls-clients.js';

const VERSIONS = ['TLSv1.3', 'TLSv1.2'] as const;

function clientOptions(version: (typeof VERSIONS)[number]): ConnectionOptions {
  return { servername: 'localhost', minVersion: version, maxVersion: version };
}

async function stopProcess(edge: ProxyProcess | undefined): Promise<void> {
  await edge?.stop();
}

describe('--tls-ticket-keys: proxies sharing one key file', () => {
  let dir: string;
  let ca: TestCertificate;
  let localhost: CertificateFiles;
  const running: ProxyProcess[] = [];

  /** A proxy process with its own data dir (so the two command lines differ, as on two machines). */
  async function startEdge(name: string, extra: string[] = []): Promise<ProxyProcess> {
    const edge = await startProxyProcess([
      '--cert',
      localhost.certFile,
      '--key',
      localhost.keyFile,
      '--data-dir',
      path.join(dir, `data-${name}`),
      ...extra,
    ]);
    running.push(edge);
    return edge;
  }

  before(async () => {
    dir = await makeTempDir('ocpp-edge-ticket-keys-');
    ca = await createTestCa();
    localhost = await writeCertificateFiles(dir, 'localhost', await issueCertificate(ca, ['localhost', '127.0.0.1']));
  });

  after(async () => {
    await Promise.all(running.map(stopProcess));
    await rm(dir, { recursive: true, force: true });
  });

  test("two proxies started together on a missing file create it once, and each resumes the other's sessions", async () => {
    const keyFile = path.join(dir, 'shared', 'tls-ticket-keys');
    const [first, second] = await Promise.all([
      startEdge('first', ['--tls-ticket-keys', keyFile]),
      startEdge('second', ['--tls-ticket-keys', keyFile]),
    ]);

    const created = await stat(keyFile);
    assert.equal(created.size, TICKET_KEYS_BYTES);
    assert.equal(created.mode & 0o777, 0o600, "readable by the proxy's user only");
    assert.deepEqual(await readdir(path.dirname(keyFile)), ['tls-ticket-keys'], 'no temporary file left behind');

    for (const version of VERSIONS) {
      const fromFirst = await newTlsSession(first.httpsPort, clientOptions(version));
      assert.equal(
        await resumesSession(second.httpsPort, fromFirst, clientOptions(version)),
        true,
        `${version}: first → second`,
      );
      const fromSecond = await newTlsSession(second.httpsPort, clientOptions(version));
      assert.equal(
        await resumesSession(first.httpsPort, fromSecond, clientOptions(version)),
        true,
        `${version}: second → first`,
      );
      // Clients connecting by address, without SNI, resume too.
      const withoutSni = { minVersion: version, maxVersion: version };
      assert.equal(
        await resumesSession(second.httpsPort, await newTlsSession(first.httpsPort, withoutSni), withoutSni),
        true,
        `${version} without SNI`,
      );
    }
  });

  test('without --tls-ticket-keys each proxy has keys of its own: a session resumes only where it was made', async () => {
    const [first, second] = await Promise.all([startEdge('own-first'), startEdge('own-second')]);
    for (const version of VERSIONS) {
      const session = await newTlsSession(first.httpsPort, clientOptions(version));
      assert.equal(
        await resumesSession(first.httpsPort, session, clientOptions(version)),
        true,
        `${version}: resumes on the proxy that made it`,
      );
      assert.equal(
        await resumesSession(second.httpsPort, session, clientOptions(version)),
        false,
        `${version}: full handshake on another proxy`,
      );
    }
  });

  test('a key written as hex or base64 text is the same key as the raw bytes', async () => {
    const key = Buffer.from(Array.from({ length: TICKET_KEYS_BYTES }, (_, index) => index * 5));
    const raw = path.join(dir, 'raw.key');
    const hex = path.join(dir, 'hex.key');
    const base64 = path.join(dir, 'base64.key');
    await writeFile(raw, key, { mode: 0o600 });
    await writeFile(hex, `${key.toString('hex')}\n`, { mode: 0o600 });
    await writeFile(base64, `${key.toString('base64')}\n`, { mode: 0o600 });
    assert.deepEqual(await loadTicketKeys(raw), key);
    assert.deepEqual(await loadTicketKeys(hex), key);
    assert.deepEqual(await loadTicketKeys(base64), key);

    // And across processes: a session from the proxy reading the raw file resumes on the one reading base64.
    const [first, second] = await Promise.all([
      startEdge('raw', ['--tls-ticket-keys', raw]),
      startEdge('base64', ['--tls-ticket-keys', base64]),
    ]);
    const session = await newTlsSession(first.httpsPort, clientOptions('TLSv1.3'));
    assert.equal(await resumesSession(second.httpsPort, session, clientOptions('TLSv1.3')), true);
  });

  test('an existing file is used as it is, never rewritten', async () => {
    const file = path.join(dir, 'existing.key');
    await writeFile(file, Buffer.alloc(TICKET_KEYS_BYTES, 7), { mode: 0o600 });
    const before = await stat(file);
    assert.deepEqual(await loadTicketKeys(file), Buffer.alloc(TICKET_KEYS_BYTES, 7));
    assert.equal((await stat(file)).mtimeMs, before.mtimeMs);
  });
});

describe('--tls-ticket-keys: creating the file when several start at once', () => {
  let dir: string;

  before(async () => {
    dir = await makeTempDir('ocpp-edge-ticket-race-');
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('sixteen callers in one process all get the one key that was written', async () => {
    const file = path.join(dir, 'in-process', 'keys');
    const keys = await Promise.all(Array.from({ length: 16 }, () => loadTicketKeys(file)));
    const written = await readFile(file);
    assert.equal(written.length, TICKET_KEYS_BYTES);
    for (const key of keys) assert.deepEqual(key, written);
    assert.deepEqual(await readdir(path.dirname(file)), ['keys'], 'no temporary file left behind');
  });

  test('six processes released at the same instant all read the same key', async () => {
    const file = path.join(dir, 'processes', 'keys');
    const module = new URL('../../proxy/tls/ticket-keys.js', import.meta.url).href;
    // Each process waits for a common instant before it looks at the file, so they race for real.
    const script = `
      const { loadTicketKeys } = await import(${JSON.stringify(module)});
      const [file, startAt] = process.argv.slice(-2);
      while (Date.now() < Number(startAt)) {}
      process.stdout.write((await loadTicketKeys(file)).toString('hex'));
    `;
    const startAt = Date.now() + 1500;
    const outputs = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script, file, String(startAt)], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk) => (stdout += chunk));
        child.stderr.on('data', (chunk) => (stderr += chunk));
        const [code] = (await once(child, 'exit')) as [number | null];
        assert.equal(code, 0, stderr);
        return stdout;
      }),
    );
    const written = (await readFile(file)).toString('hex');
    assert.equal(written.length, TICKET_KEYS_BYTES * 2);
    assert.deepEqual(
      outputs,
      outputs.map(() => written),
    );
    assert.deepEqual(await readdir(path.dirname(file)), ['keys'], 'no temporary file left behind');
  });
});

describe('--tls-ticket-keys: invalid files', () => {
  let dir: string;
  let localhost: CertificateFiles;

  before(async () => {
    dir = await makeTempDir('ocpp-edge-ticket-invalid-');
    localhost = await writeCertificateFiles(
      dir,
      'localhost',
      await issueCertificate(await createTestCa(), ['localhost']),
    );
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a file of the wrong length stops the proxy with exit code 2 and one line naming --tls-ticket-keys', async () => {
    const cases = {
      'short.key': Buffer.alloc(TICKET_KEYS_BYTES - 1, 1),
      // nginx's ssl_session_ticket_key format: Node's tickets take 48 bytes.
      'nginx-80.key': Buffer.alloc(80, 1),
      'short-hex.key': Buffer.from(`${'ab'.repeat(TICKET_KEYS_BYTES - 1)}\n`),
    };
    const base = [
      ...EPHEMERAL_PROXY_PORTS,
      '--data-dir',
      path.join(dir, 'data'),
      '--cert',
      localhost.certFile,
      '--key',
      localhost.keyFile,
    ];
    await Promise.all(
      Object.entries(cases).map(async ([name, contents]) => {
        const file = path.join(dir, name);
        await writeFile(file, contents, { mode: 0o600 });
        const result = await runProxyCommand([...base, '--tls-ticket-keys', file]);
        assert.equal(result.code, 2, `${name}: ${result.stderr}`);
        assert.equal(
          result.stderr,
          `ocpp-edge: invalid configuration: --tls-ticket-keys: ${file} holds ${contents.length} bytes that are not a ticket key; expected 48 bytes: raw, 96 hex digits or 64 base64 characters (openssl rand 48 > FILE)\n`,
          name,
        );
        assert.deepEqual(await readFile(file), contents, `${name} is left as it was`);
      }),
    );
  });

  test('a directory, or a place where the file cannot be created, is a configuration error naming the key', async () => {
    await assert.rejects(
      loadTicketKeys(dir),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.key === '--tls-ticket-keys' &&
        /is not a regular file/.test(error.message),
    );
    const blocked = path.join(dir, 'localhost.crt', 'keys'); // a "directory" that is a file
    await assert.rejects(
      loadTicketKeys(blocked),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.key === '--tls-ticket-keys' &&
        /cannot (read|create) .*ENOTDIR/.test(error.message),
    );
  });
});

describe('--tls-ticket-keys: reload', () => {
  test('reload() keeps the shared key across a certificate swap, and applies a rewritten key file', async () => {
    const dir = await makeTempDir('ocpp-edge-ticket-reload-');
    const ca = await createTestCa();
    const files = await writeCertificateFiles(dir, 'localhost', await issueCertificate(ca, ['localhost']));
    const keyFile = path.join(dir, 'tls-ticket-keys');
    const edge = await startProxyUnderTest({
      cert: [files.certFile],
      key: [files.keyFile],
      'tls-ticket-keys': keyFile,
    });
    try {
      const port = edge.proxy.httpsPort;
      const sessions = new Map<string, Buffer>();
      for (const version of VERSIONS) sessions.set(version, await newTlsSession(port, clientOptions(version)));

      // A renewed certificate: the listener's default context is rebuilt (https.ts refreshDefaultCertificate).
      const renewed = await issueCertificate(ca, ['localhost']);
      await writeFile(`${files.certFile}.new`, renewed.certPem);
      await writeFile(`${files.keyFile}.new`, renewed.keyPem);
      await rename(`${files.keyFile}.new`, files.keyFile);
      await rename(`${files.certFile}.new`, files.certFile);
      await edge.proxy.reload();
      const served = await tlsConnect(port, { minVersion: 'TLSv1.3' });
      assert.equal(served.getPeerX509Certificate()?.serialNumber, renewed.serialNumber);
      served.destroy();
      for (const version of VERSIONS)
        assert.equal(
          await resumesSession(port, sessions.get(version)!, clientOptions(version)),
          true,
          `${version} after the certificate swap`,
        );

      // A rotated key: sessions under the old one get a full handshake, new ones resume.
      await writeFile(keyFile, Buffer.alloc(TICKET_KEYS_BYTES, 9));
      await edge.proxy.reload();
      for (const version of VERSIONS) {
        assert.equal(
          await resumesSession(port, sessions.get(version)!, clientOptions(version)),
          false,
          `${version} under the old key`,
        );
        assert.equal(
          await resumesSession(port, await newTlsSession(port, clientOptions(version)), clientOptions(version)),
          true,
          `${version} under the new key`,
        );
      }

      // A broken file fails the reload and keeps the key in use.
      const current = await newTlsSession(port, clientOptions('TLSv1.3'));
      await writeFile(keyFile, 'not a key\n');
      await assert.rejects(edge.proxy.reload(), /--tls-ticket-keys: .* holds 10 bytes that are not a ticket key/);
      assert.equal(await resumesSession(port, current, clientOptions('TLSv1.3')), true);
    } finally {
      await edge.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
