// What the `ocpp-edge check` tests run against: the real stack (backend and proxy in this process, on port 0,
// with a certificate from a throwaway CA for localhost and 127.0.0.1), and a bare HTTPS server that is wrong in
// the ways a deployment can be (no security headers, TLS 1.1 allowed, an expired or wrong-name certificate, a
// redirect to the wrong place), so every check can be seen failing for a real reason.

import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import os from 'node:os';
import path from 'node:path';
import type { SecureVersion } from 'node:tls';
import { generate } from 'selfsigned';
import { loadConfig } from '../../common/config.js';
import { checkOptions, type CheckConfig } from '../../tools/check/options.js';
import { startTestBackend, type TestBackend } from './backend-instance.js';
import { startProxyUnderTest, type ProxyUnderTest } from './proxy-under-test.js';
import { createTestCa, issueCertificate, writeCertificateFiles, type TestCertificate } from './test-certificates.js';

export interface CheckStack {
  backend: TestBackend;
  proxy: ProxyUnderTest;
  ca: TestCertificate;
  caFile: string;
  /** https://localhost:<https port> */
  url: string;
  httpPort: number;
  close(): Promise<void>;
}

/** backendFlags: as on the command line (e.g. registration: 'known'). */
export async function startCheckStack(backendFlags: Record<string, unknown> = {}): Promise<CheckStack> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-check-'));
  const ca = await createTestCa('ocpp-edge check test CA');
  const caFile = path.join(dir, 'ca.crt');
  await writeFile(caFile, ca.certPem);
  const files = await writeCertificateFiles(dir, 'localhost', await issueCertificate(ca, ['localhost', '127.0.0.1']));
  const backend = await startTestBackend({ database: `sqlite:${path.join(dir, 'ocpp.db')}`, ...backendFlags });
  let proxy: ProxyUnderTest;
  try {
    proxy = await startProxyUnderTest({
      tls: 'files',
      cert: [files.certFile],
      key: [files.keyFile],
      domain: ['localhost'],
      upstream: [backend.httpUrl],
      'log-level': 'warn',
    });
  } catch (error) {
    await backend.stop();
    throw error;
  }
  return {
    backend,
    proxy,
    ca,
    caFile,
    url: `https://localhost:${proxy.proxy.httpsPort}`,
    httpPort: proxy.proxy.httpPort,
    async close() {
      await proxy.close();
      await backend.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A check configuration as `ocpp-edge check` would load it from these flags (kebab-case), nothing from the environment. */
export function checkConfig(flags: Record<string, unknown>): CheckConfig {
  return loadConfig(checkOptions, { flags: { address: '127.0.0.1', timeout: 5, ...flags }, section: 'check', env: {} });
}

export interface BareServerOptions {
  certificate: TestCertificate;
  /** Lowest TLS version accepted; 'TLSv1.1' with every cipher makes a server that still speaks TLS 1.1. */
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  /** Answer headers of every HTTPS response (none: no security headers). */
  headers?: Record<string, string>;
  /** Status of /health. */
  healthStatus?: number;
  /** Milliseconds before /health answers. */
  healthDelayMs?: number;
  /** What the HTTP listener does: a Location to redirect to with `redirectStatus`, or answer 200 when undefined. */
  redirectTo?: (path: string) => string;
  redirectStatus?: number;
  /** WebSocket upgrades on the HTTPS listener (none: answered like any request, 404). */
  onUpgrade?: (request: http.IncomingMessage, socket: Duplex, head: Buffer) => void;
}

export interface BareServer {
  httpsPort: number;
  httpPort: number;
  url: string;
  close(): Promise<void>;
}

/** An HTTPS server and an HTTP listener with no proxy in front: whatever a test makes them answer. */
export async function startBareServer(options: BareServerOptions): Promise<BareServer> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  const legacy = options.minVersion === 'TLSv1' || options.minVersion === 'TLSv1.1';
  const secure = https.createServer(
    {
      cert: options.certificate.certPem,
      key: options.certificate.keyPem,
      minVersion: options.minVersion ?? 'TLSv1.2',
      maxVersion: options.maxVersion ?? 'TLSv1.3',
      ...(legacy ? { ciphers: 'DEFAULT@SECLEVEL=0' } : {}),
    },
    (req, res) => {
      const status = req.url === '/health' ? (options.healthStatus ?? 200) : 404;
      const answer = () =>
        res
          .writeHead(status, { 'content-type': 'application/json', ...options.headers })
          .end(JSON.stringify({ status: status === 200 ? 'ok' : 'unavailable' }));
      if (options.healthDelayMs) setTimeout(answer, options.healthDelayMs);
      else answer();
    },
  );
  secure.on('connection', track);
  secure.on('tlsClientError', () => {});
  if (options.onUpgrade) secure.on('upgrade', options.onUpgrade);
  const plain = http.createServer((req, res) => {
    const location = options.redirectTo?.(req.url ?? '/');
    if (location) res.writeHead(options.redirectStatus ?? 301, { location }).end();
    else res.writeHead(200, { 'content-type': 'text/plain' }).end('plain http\n');
  });
  plain.on('connection', track);
  secure.listen(0, '127.0.0.1');
  plain.listen(0, '127.0.0.1');
  await Promise.all([once(secure, 'listening'), once(plain, 'listening')]);
  const httpsPort = (secure.address() as { port: number }).port;
  return {
    httpsPort,
    httpPort: (plain.address() as { port: number }).port,
    url: `https://localhost:${httpsPort}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all([
        new Promise((resolve) => secure.close(resolve)),
        new Promise((resolve) => plain.close(resolve)),
      ]);
    },
  };
}

/** A certificate for localhost signed by `ca` that expired `daysAgo` days ago. */
export async function expiredCertificate(ca: TestCertificate, daysAgo = 3): Promise<TestCertificate> {
  const notAfterDate = new Date(Date.now() - daysAgo * 86_400_000);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: new Date(notAfterDate.getTime() - 90 * 86_400_000),
    notAfterDate,
    ca: { cert: ca.certPem, key: ca.keyPem },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2 as const, value: 'localhost' },
          { type: 7 as const, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { certPem: pems.cert, keyPem: pems.private, serialNumber: '' };
}

/** The security headers a correctly configured edge sends (as proxy/headers.ts does). */
export const GOOD_SECURITY_HEADERS = {
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
};

/**
 * The timed rows hold a busy machine to the plan's targets too: another test file running beside this one can make
 * a request take 100 ms. A run whose only failures are "slower than the plan's" targets is repeated, up to three
 * runs; any other failure is returned at once.
 */
export async function retryWhenOnlySlow<T>(run: () => Promise<T>, failedRows: (result: T) => string[]): Promise<T> {
  let result = await run();
  for (let attempt = 1; attempt < 3; attempt++) {
    const failed = failedRows(result);
    if (failed.length === 0 || !failed.every((row) => row.includes("slower than the plan's"))) return result;
    result = await run();
  }
  return result;
}

/** The ✗ rows of a table printed by the CLI. */
export function failedTableRows(stdout: string): string[] {
  return stdout.split('\n').filter((line) => line.startsWith('✗ '));
}
