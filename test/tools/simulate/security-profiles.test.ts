// `ocpp-edge simulate --security-profile`: a fleet of chargers authenticating as each profile does, against the
// real proxy (--client-ca) and backend (--cpo-name). Profile 3 gives each charger its own certificate ("{id}" in
// --client-cert/--client-key); profile 1 goes over plain ws:// to the proxy's HTTP listener
// (--plain-ocpp-on-http); the flags that a profile needs are checked before anything connects.

import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../../common/config.js';
import { runSimulation } from '../../../tools/simulate/fleet.js';
import { startTestBackend, type TestBackend } from '../../support/backend-instance.js';
import { createChargerCa, issueChargerCertificate, writePem } from '../../support/charger-certificates.js';
import { makeTempDir, startProxyUnderTest, type ProxyUnderTest } from '../../support/proxy-under-test.js';
import { createTestCa, issueCertificate, writeCertificateFiles } from '../../support/test-certificates.js';

const CPO = 'Simulated CPO';
const PASSWORD = 'simulated-password-01';

describe('ocpp-edge simulate --security-profile', { timeout: 60_000 }, () => {
  let dir: string;
  let serverCaFile: string;
  let backend: TestBackend;
  let edge: ProxyUnderTest;

  before(async () => {
    dir = await makeTempDir('ocpp-edge-simulate-profiles-');
    const serverCa = await createTestCa('simulate server CA');
    serverCaFile = path.join(dir, 'server-ca.pem');
    await writeFile(serverCaFile, serverCa.certPem);
    const files = await writeCertificateFiles(
      dir,
      'edge',
      await issueCertificate(serverCa, ['localhost', '127.0.0.1']),
    );
    const chargerCa = await createChargerCa();
    for (const id of ['P3-00001', 'P3-00002', 'P3-00003']) {
      const certificate = await issueChargerCertificate(chargerCa, { subject: `CN=${id}, O=${CPO}` });
      await writePem(dir, `${id}.pem`, certificate.certPem);
      await writePem(dir, `${id}.key`, certificate.keyPem);
    }
    backend = await startTestBackend({
      database: `sqlite:${path.join(dir, 'ocpp.db')}`,
      'cpo-name': CPO,
      registration: 'known',
    });
    edge = await startProxyUnderTest({
      tls: 'files',
      cert: [files.certFile],
      key: [files.keyFile],
      domain: ['localhost'],
      upstream: [backend.httpUrl],
      'client-ca': [await writePem(dir, 'charger-ca.pem', chargerCa.certPem)],
      'log-level': 'warn',
      'plain-ocpp-on-http': true,
    });
    for (const id of ['P3-00001', 'P3-00002', 'P3-00003'])
      await backend.api('PUT', `/api/charge-points/${id}`, { securityProfile: 3 });
    for (const id of ['P1-00001', 'P1-00002'])
      await backend.api('PUT', `/api/charge-points/${id}`, { securityProfile: 1, password: PASSWORD });
    for (const id of ['P2-00001', 'P2-00002'])
      await backend.api('PUT', `/api/charge-points/${id}`, { securityProfile: 2, password: PASSWORD });
  });
  after(async () => {
    await edge?.close();
    await backend?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const run = (overrides: Record<string, unknown>) =>
    runSimulation({
      url: `wss://127.0.0.1:${edge.proxy.httpsPort}/ocpp`,
      ca: serverCaFile,
      ramp: 50,
      duration: 2,
      callTimeout: 5,
      backoffInitial: 5,
      ...overrides,
    });

  it('profile 3: every charger connects with its own certificate', async () => {
    const report = await run({
      chargers: 3,
      idPrefix: 'P3-',
      securityProfile: 3,
      clientCert: path.join(dir, '{id}.pem'),
      clientKey: path.join(dir, '{id}.key'),
    });
    assert.deepEqual(report.errors, {});
    assert.equal(report.chargers.booted, 3);
  });

  it('profile 3 with one certificate for all: only the charger it names gets in', async () => {
    const report = await run({
      chargers: 2,
      idPrefix: 'P3-',
      securityProfile: 3,
      clientCert: path.join(dir, 'P3-00001.pem'),
      clientKey: path.join(dir, 'P3-00001.key'),
    });
    assert.equal(report.chargers.booted, 1);
  });

  it('profile 2: the password over wss://', async () => {
    const report = await run({ chargers: 2, idPrefix: 'P2-', securityProfile: 2, password: PASSWORD });
    assert.deepEqual(report.errors, {});
    assert.equal(report.chargers.booted, 2);
  });

  it("profile 1: the password over plain ws:// on the proxy's HTTP listener (--plain-ocpp-on-http)", async () => {
    const report = await run({
      url: `ws://127.0.0.1:${edge.proxy.httpPort}/ocpp`,
      chargers: 2,
      idPrefix: 'P1-',
      securityProfile: 1,
      password: PASSWORD,
    });
    assert.deepEqual(report.errors, {});
    assert.equal(report.chargers.booted, 2);
    // A profile-2 charger cannot take the same way in.
    const refused = await run({
      url: `ws://127.0.0.1:${edge.proxy.httpPort}/ocpp`,
      chargers: 1,
      idPrefix: 'P2-',
      securityProfile: 1,
      password: PASSWORD,
    });
    assert.equal(refused.chargers.booted, 0);
  });

  it('refuses flags a profile cannot work with, naming the flag', async () => {
    const url = `wss://127.0.0.1:${edge.proxy.httpsPort}/ocpp`;
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ securityProfile: 2, url }, '--password', /authenticates with a password/],
      [{ securityProfile: 2, password: PASSWORD, url: 'ws://127.0.0.1:1/ocpp' }, '--url', /needs TLS/],
      [{ securityProfile: 3, url }, '--client-cert', /needs --client-cert and --client-key/],
      [{ url, clientCert: path.join(dir, 'P3-00001.pem') }, '--client-key', /go together/],
      [
        { url, clientCert: path.join(dir, 'missing.pem'), clientKey: path.join(dir, 'missing.key') },
        '--client-cert',
        /cannot read .*missing\.pem: ENOENT/,
      ],
    ];
    for (const [options, key, message] of cases)
      await assert.rejects(run(options), (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.equal(error.key, key);
        assert.match(error.reason, message);
        return true;
      });
  });
});
