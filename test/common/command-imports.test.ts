// Each ocpp-edge process imports only what its command needs (bin/ocpp-edge.ts, proxy/tls/sources.ts,
// proxy/tls/acme/state.ts): the proxy does not carry the central system's modules, nor acme-client, ioredis or the
// certificate generator when its certificates come from files; the backend does not carry the proxy's.

import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { spawnOcppEdge } from '../support/cli.js';
import { EPHEMERAL_PROXY_PORTS } from '../support/proxy-process.js';
import { makeTempDir } from '../support/proxy-under-test.js';
import {
  createTestCa,
  issueCertificate,
  writeCertificateFiles,
  type CertificateFiles,
} from '../support/test-certificates.js';

const MODULE_TRACE = fileURLToPath(new URL('../support/module-trace.js', import.meta.url));
const CENTRAL_SYSTEM_PACKAGES = ['fastify', 'kysely', 'better-sqlite3', 'pg', 'ocpp-rpc'];

/** Starts `ocpp-edge ...args` until it logs `readyMessage`, stops it, and returns the npm packages it imported. */
async function importedPackages(dir: string, args: string[], readyMessage: string): Promise<Set<string>> {
  const traceFile = path.join(dir, `imports-${args[0]}.txt`);
  const child = spawnOcppEdge(args, {
    nodeArgs: ['--import', MODULE_TRACE],
    env: { OCPP_EDGE_TEST_MODULE_TRACE: traceFile, OCPP_EDGE_LOG_PRETTY: '0' },
  });
  try {
    // Generous: a guard against a hang, not a measure (loaded CI machines start slowly).
    await child.logLine(readyMessage, 60_000);
  } finally {
    await child.stop();
  }
  return new Set((await readFile(traceFile, 'utf8')).split('\n').filter(Boolean));
}

describe('what each command imports', () => {
  let dir: string;
  let files: CertificateFiles;

  before(async () => {
    dir = await makeTempDir('ocpp-edge-imports-');
    files = await writeCertificateFiles(dir, 'localhost', await issueCertificate(await createTestCa(), ['localhost']));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('the proxy with certificates from files: no central system, ACME client, Redis client or certificate generator', async () => {
    const imported = await importedPackages(
      dir,
      [
        'proxy',
        ...EPHEMERAL_PROXY_PORTS,
        '--cert',
        files.certFile,
        '--key',
        files.keyFile,
        '--upstream',
        'http://127.0.0.1:9',
        '--data-dir',
        path.join(dir, 'proxy-data'),
      ],
      'proxy listening',
    );
    // The trace itself works: what the proxy does need is in it.
    for (const needed of ['pino', 'prom-client', 'yargs'])
      assert.ok(imported.has(needed), `${needed} in ${[...imported].join(', ')}`);
    for (const unneeded of [...CENTRAL_SYSTEM_PACKAGES, 'acme-client', 'ioredis', 'selfsigned']) {
      assert.ok(!imported.has(unneeded), `the proxy imported ${unneeded}`);
    }
  });

  it('the self-signed proxy imports the certificate generator, still not the ACME client', async () => {
    const imported = await importedPackages(
      dir,
      [
        'proxy',
        ...EPHEMERAL_PROXY_PORTS,
        '--tls',
        'self-signed',
        '--upstream',
        'http://127.0.0.1:9',
        '--data-dir',
        path.join(dir, 'self-signed-data'),
      ],
      'proxy listening',
    );
    assert.ok(imported.has('selfsigned'));
    assert.ok(!imported.has('acme-client'));
  });

  it("the backend: none of the proxy's certificate machinery", async () => {
    const imported = await importedPackages(
      dir,
      ['backend', '--port', '0', '--database', `sqlite:${path.join(dir, 'backend', 'ocpp.db')}`],
      'backend listening',
    );
    for (const needed of ['fastify', 'kysely', 'ocpp-rpc'])
      assert.ok(imported.has(needed), `${needed} in ${[...imported].join(', ')}`);
    for (const unneeded of ['acme-client', 'selfsigned'])
      assert.ok(!imported.has(unneeded), `the backend imported ${unneeded}`);
  });
});
