// Issue 2, point 9 (configuration): an invalid proxy configuration prints one line naming the key and exits
// with code 2 before anything listens; binding a privileged port without the privilege says how to grant it.

import assert from 'node:assert/strict';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeTempDir } from '../support/proxy-under-test.js';
import { EPHEMERAL_PROXY_PORTS, runProxyCommand, type CommandResult } from '../support/proxy-process.js';
import {
  createTestCa,
  issueCertificate,
  writeCertificateFiles,
  type CertificateFiles,
} from '../support/test-certificates.js';

describe('invalid configuration', () => {
  let dir: string;
  let localhost: CertificateFiles;
  let other: CertificateFiles;
  const results = new Map<string, CommandResult>();

  const cases: Record<string, { args: () => string[]; key: RegExp }> = {};

  before(async () => {
    dir = await makeTempDir('ocpp-edge-config-');
    const ca = await createTestCa();
    localhost = await writeCertificateFiles(dir, 'localhost', await issueCertificate(ca, ['localhost']));
    other = await writeCertificateFiles(dir, 'other', await issueCertificate(ca, ['other.test']));
    await writeFile(path.join(dir, 'not-pem.crt'), 'hello\n');
    await writeFile(path.join(dir, 'unknown-key.yaml'), 'proxy:\n  https-port: 8443\n  worker-connections: 5\n');
    await mkdir(path.join(dir, 'a-directory'));
    const base = [...EPHEMERAL_PROXY_PORTS, '--data-dir', path.join(dir, 'data')];
    Object.assign(cases, {
      'a missing certificate file': {
        args: () => [...base, '--cert', path.join(dir, 'missing.crt'), '--key', localhost.keyFile],
        key: /^ocpp-edge: invalid configuration: --cert: cannot read .*missing\.crt \(ENOENT\)$/,
      },
      'an unreadable key file': {
        args: () => [...base, '--cert', localhost.certFile, '--key', path.join(dir, 'a-directory')],
        key: /^ocpp-edge: invalid configuration: --key: cannot read .*a-directory \(EISDIR\)$/,
      },
      'a file that is not PEM': {
        args: () => [...base, '--cert', path.join(dir, 'not-pem.crt'), '--key', localhost.keyFile],
        key: /^ocpp-edge: invalid configuration: --cert: .*not-pem\.crt is not a usable PEM certificate/,
      },
      'more --cert than --key': {
        args: () => [...base, '--cert', localhost.certFile, '--cert', other.certFile, '--key', localhost.keyFile],
        key: /^ocpp-edge: invalid configuration: --key: each --cert needs the --key at the same position: got 2 --cert and 1 --key$/,
      },
      'a key that does not match the certificate': {
        args: () => [...base, '--cert', localhost.certFile, '--key', other.keyFile],
        key: /^ocpp-edge: invalid configuration: --key: .*other\.key does not match the certificate in .*localhost\.crt$/,
      },
      'a domain no certificate covers': {
        args: () => [...base, '--cert', localhost.certFile, '--key', localhost.keyFile, '--domain', 'ocpp.example.com'],
        key: /^ocpp-edge: invalid configuration: --domain: ocpp\.example\.com is not covered by any certificate \(they cover localhost\)$/,
      },
      '--cert with --tls self-signed': {
        args: () => [...base, '--tls', 'self-signed', '--cert', localhost.certFile, '--key', localhost.keyFile],
        key: /^ocpp-edge: invalid configuration: --tls: /,
      },
      'an unknown key in the config file': {
        args: () => [...base, '--config', path.join(dir, 'unknown-key.yaml')],
        key: /^ocpp-edge: invalid configuration: proxy\.worker-connections: unknown key in /,
      },
      'a port out of range': {
        args: () => [...base, '--https-port', '70000'],
        key: /^ocpp-edge: invalid configuration: --https-port: must be at most 65535, got 70000$/,
      },
      'a listen backlog of 0': {
        args: () => [...base, '--listen-backlog', '0'],
        key: /^ocpp-edge: invalid configuration: --listen-backlog: must be at least 1, got 0$/,
      },
    });
    // Each run pays Node's start-up; run them side by side.
    await Promise.all(
      Object.entries(cases).map(async ([name, { args }]) => results.set(name, await runProxyCommand(args()))),
    );
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const names = [
    'a missing certificate file',
    'an unreadable key file',
    'a file that is not PEM',
    'more --cert than --key',
    'a key that does not match the certificate',
    'a domain no certificate covers',
    '--cert with --tls self-signed',
    'an unknown key in the config file',
    'a port out of range',
    'a listen backlog of 0',
  ];
  for (const name of names) {
    test(`${name}: one line naming the key, exit code 2, nothing listened`, () => {
      const result = results.get(name)!;
      assert.equal(result.code, 2, result.stderr);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0], cases[name].key);
      assert.doesNotMatch(result.stdout, /proxy listening/);
    });
  }
});

describe('privileged ports', () => {
  test('binding 443 without the privilege fails with how to grant it', {
    skip: process.getuid?.() !== 0 ? 'needs root to start the proxy as an unprivileged user' : false,
  }, async () => {
    const dir = await makeTempDir('ocpp-edge-eacces-');
    try {
      const files = await writeCertificateFiles(
        dir,
        'localhost',
        await issueCertificate(await createTestCa(), ['localhost']),
      );
      // The unprivileged user must be able to read what it serves.
      await chmod(dir, 0o755);
      await chmod(files.keyFile, 0o644);
      const result = await runProxyCommand(
        [
          '--host',
          '127.0.0.1',
          '--https-port',
          '443',
          '--http-port',
          '0',
          '--metrics-port',
          '0',
          '--cert',
          files.certFile,
          '--key',
          files.keyFile,
          '--data-dir',
          path.join(dir, 'data'),
        ],
        { uid: 65534, gid: 65534 },
      );
      assert.equal(result.code, 1);
      const output = result.stdout + result.stderr;
      assert.match(output, /cannot listen on 127\.0\.0\.1:443 .*permission denied/);
      assert.match(output, /setcap 'cap_net_bind_service=\+ep' \$\(which node\)/);
      assert.match(output, /ip_unprivileged_port_start/);
      assert.match(output, /AmbientCapabilities/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
