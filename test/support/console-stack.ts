// The stack the console is tried against: a proxy (certificate from a throwaway CA for localhost) in front of a
// backend whose Edge page reads that proxy's private listener, both in this process on ephemeral ports.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startTestBackend, type TestBackend, type TestBackendOptions } from './backend-instance.js';
import { freePort } from './ports.js';
import { startProxyUnderTest, type ProxyUnderTest } from './proxy-under-test.js';
import { createTestCa, issueCertificate, writeCertificateFiles, type TestCertificate } from './test-certificates.js';

export interface ConsoleStack {
  backend: TestBackend;
  proxy: ProxyUnderTest;
  ca: TestCertificate;
  caFile: string;
  /** https://localhost:PORT, through the proxy */
  url: string;
  /** wss://localhost:PORT/ocpp */
  ocppUrl: string;
  close(): Promise<void>;
}

export async function startConsoleStack(
  backendFlags: Record<string, unknown> = {},
  options: TestBackendOptions = {},
): Promise<ConsoleStack> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-console-'));
  const ca = await createTestCa('ocpp-edge console test CA');
  const caFile = path.join(dir, 'ca.crt');
  await writeFile(caFile, ca.certPem);
  const files = await writeCertificateFiles(dir, 'localhost', await issueCertificate(ca, ['localhost', '127.0.0.1']));
  const backendPort = await freePort();
  const proxy = await startProxyUnderTest({
    tls: 'files',
    cert: [files.certFile],
    key: [files.keyFile],
    domain: ['localhost'],
    upstream: [`http://127.0.0.1:${backendPort}`],
    'log-level': 'warn',
  });
  let backend: TestBackend;
  try {
    backend = await startTestBackend(
      {
        database: `sqlite:${path.join(dir, 'ocpp.db')}`,
        port: backendPort,
        'proxy-status-url': [`http://127.0.0.1:${proxy.proxy.metricsPort}`],
        ...backendFlags,
      },
      options,
    );
  } catch (error) {
    await proxy.close();
    throw error;
  }
  const url = `https://localhost:${proxy.proxy.httpsPort}`;
  return {
    backend,
    proxy,
    ca,
    caFile,
    url,
    ocppUrl: `${url.replace('https:', 'wss:')}/ocpp`,
    async close() {
      await proxy.close();
      await backend.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
