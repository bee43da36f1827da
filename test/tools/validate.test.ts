// `ocpp-edge validate`: nginx -t for both processes. Every problem at once, one line each naming its key as
// written, exit 2; "configuration OK" and exit 0 otherwise; nothing bound, ordered or connected unless --connect.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanEnvironment, runCli } from '../support/cli.js';
import {
  createTestCa,
  issueCertificate,
  writeCertificateFiles,
  type CertificateFiles,
} from '../support/test-certificates.js';

describe('ocpp-edge validate', () => {
  let dir: string;
  let served: CertificateFiles;
  let other: CertificateFiles;
  /** A port something else holds: validate must not try to bind it. */
  let busy: net.Server;
  let busyPort: number;
  const env = cleanEnvironment();
  const write = async (name: string, text: string) => {
    const file = path.join(dir, name);
    await writeFile(file, text);
    return file;
  };

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-validate-'));
    const ca = await createTestCa();
    served = await writeCertificateFiles(dir, 'served', await issueCertificate(ca, ['charger.example']));
    other = await writeCertificateFiles(dir, 'other', await issueCertificate(ca, ['other.example']));
    busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as net.AddressInfo).port;
  });
  after(async () => {
    busy.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a valid configuration: configuration OK, exit 0, nothing bound or created', async () => {
    const dataDir = path.join(dir, 'data-ok');
    const file = await write(
      'ok.yaml',
      [
        'proxy:',
        '  host: 127.0.0.1',
        `  https-port: ${busyPort}`,
        '  http-port: 8000',
        '  tls: files',
        `  cert: [${served.certFile}]`,
        `  key: [${served.keyFile}]`,
        '  domain: [charger.example]',
        `  data-dir: ${dataDir}`,
        'backend:',
        `  database: sqlite:${path.join(dataDir, 'ocpp.db')}`,
        '  redis: redis://127.0.0.1:1',
        '',
      ].join('\n'),
    );
    const result = await runCli(['validate', '--config', file], { env });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'configuration OK (proxy, backend)\n');
    assert.equal(existsSync(dataDir), false, 'no data dir, no database file: nothing was opened');
  });

  test('warns, and still passes, for an ACME profile that drops the Common Name (and the insecure opt-ins)', async () => {
    const config = (profile: string) =>
      [
        'proxy:',
        '  tls: acme',
        '  domain: [charger.example]',
        `  data-dir: ${dir}/data-acme`,
        `  acme-profile: ${profile}`,
        '  plain-ocpp-on-http: true',
        '',
      ].join('\n');
    const shortlived = await runCli(['validate', '--config', await write('cn.yaml', config('shortlived'))], { env });
    assert.equal(shortlived.code, 0, shortlived.stderr);
    assert.match(shortlived.stdout, /^configuration OK/);
    assert.match(shortlived.stderr, /warning: proxy\.acme-profile shortlived: .*without a subject Common Name/);
    assert.match(shortlived.stderr, /warning: proxy\.plain-ocpp-on-http/);
    const classic = await runCli(['validate', '--config', await write('classic.yaml', config('classic'))], { env });
    assert.equal(classic.code, 0, classic.stderr);
    assert.doesNotMatch(classic.stderr, /Common Name/);
  });

  test("an upstream on the backend's Unix socket (production.yaml's layout) reaches it; another socket does not", async () => {
    const socket = path.join(dir, 'backend.sock');
    const config = (upstream: string) =>
      `proxy:\n  tls: self-signed\n  data-dir: ${dir}/data-socket\n  upstream: [${upstream}]\nbackend:\n  socket: ${socket}\n`;
    const same = await runCli(['validate', '--config', await write('socket.yaml', config(`unix:${socket}`))], { env });
    assert.equal(same.code, 0, same.stderr);
    const elsewhere = await runCli(
      ['validate', '--config', await write('other-socket.yaml', config(`unix:${dir}/elsewhere.sock`))],
      { env },
    );
    assert.equal(elsewhere.code, 2);
    assert.match(elsewhere.stderr, /proxy\.upstream in .*other-socket\.yaml: .* nor its socket .*backend\.sock/);
  });

  test('every problem at once, one line each naming the key as written, exit 2', async () => {
    const file = await write(
      'bad.yaml',
      [
        'proxy:',
        '  https-port: 8443',
        '  http-port: 8443',
        '  tls: files',
        `  cert: [${served.certFile}]`,
        `  key: [${other.keyFile}]`,
        'backend:',
        '  database: mysql://nope',
        '',
      ].join('\n'),
    );
    const result = await runCli(['validate', '--config', file], { env });
    assert.equal(result.code, 2);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 2, result.stderr);
    assert.match(
      lines[0]!,
      /^ocpp-edge: invalid configuration: backend\.database in .*bad\.yaml: expects sqlite:PATH or postgres/,
    );
    assert.match(
      lines[1]!,
      /^ocpp-edge: invalid configuration: proxy\.http-port in .*bad\.yaml: is 8443, the same port as proxy\.https-port/,
    );

    const pairs = await write(
      'pairs.yaml',
      `proxy:\n  tls: files\n  cert: [${served.certFile}]\n  key: [${other.keyFile}]\n  domain: [nobody.example]\n`,
    );
    const mismatch = await runCli(['validate', '--config', pairs], { env });
    assert.equal(mismatch.code, 2);
    assert.match(
      mismatch.stderr,
      /proxy\.key in .*pairs\.yaml: .*other\.key does not match the certificate in .*served\.crt/,
    );

    const uncovered = await write(
      'uncovered.yaml',
      `proxy:\n  tls: files\n  cert: [${served.certFile}]\n  key: [${served.keyFile}]\n  domain: [nobody.example]\n`,
    );
    const coverage = await runCli(['validate', '--config', uncovered], { env });
    assert.equal(coverage.code, 2);
    assert.match(
      coverage.stderr,
      /proxy\.domain in .*uncovered\.yaml: nobody\.example is not covered by any certificate \(they cover charger\.example\)/,
    );
  });

  test('--connect reaches the database and Redis, and says which cannot be reached', async () => {
    const file = await write(
      'connect.yaml',
      `backend:\n  database: sqlite:${path.join(dir, 'connect', 'ocpp.db')}\n  redis: redis://127.0.0.1:1\n`,
    );
    const result = await runCli(['validate', '--config', file, '--connect'], { env, timeoutMs: 20_000 });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /backend\.redis in .*connect\.yaml: cannot be reached/);
  });
});
