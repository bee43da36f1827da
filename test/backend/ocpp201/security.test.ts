// Security profiles 1–3 and the security messages for OCPP 2.0.1 chargers (Part 2 A00–A04): the simulator's 2.0.1
// stations authenticate through the real proxy with a password (plain ws:// and wss://) and with their own client
// certificate; a strict-mode 2.0.1 client's SignCertificate is signed by the CPO CA (or by an operator) and comes back
// as a 2.0.1 CertificateSigned; its SecurityEventNotifications are stored, listed and counted as 1.6 ones are.

import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RPCClient } from 'ocpp-rpc';
import { runSimulation } from '../../../tools/simulate/fleet.js';
import { startTestBackend, withBackend, type TestBackend } from '../../support/backend-instance.js';
import {
  createChargerCa,
  createCsr,
  issueChargerCertificate,
  signCsr,
  writePem,
} from '../../support/charger-certificates.js';
import { connectCharger } from '../../support/ocpp-chargers.js';
import { makeTempDir, metricValue, startProxyUnderTest, type ProxyUnderTest } from '../../support/proxy-under-test.js';
import { createTestCa, issueCertificate, writeCertificateFiles } from '../../support/test-certificates.js';
import { waitFor } from '../../support/waiting.js';

const CPO = 'Example CPO';
const PASSWORD = 'station-password-0001';

function acceptCertificates(charger: RPCClient): string[] {
  const chains: string[] = [];
  charger.handle('CertificateSigned', async ({ params }) => {
    chains.push((params as { certificateChain: string }).certificateChain);
    return { status: 'Accepted' };
  });
  return chains;
}

const connect201 = (url: string, id: string) => connectCharger(url, id, { protocols: ['ocpp2.0.1'] });

describe('security profiles 1–3 for OCPP 2.0.1 stations through the proxy', { timeout: 60_000 }, () => {
  let dir: string;
  let serverCaFile: string;
  let backend: TestBackend;
  let edge: ProxyUnderTest;

  before(async () => {
    dir = await makeTempDir('ocpp-edge-201-profiles-');
    const serverCa = await createTestCa('2.0.1 profiles server CA');
    serverCaFile = path.join(dir, 'server-ca.pem');
    await writeFile(serverCaFile, serverCa.certPem);
    const files = await writeCertificateFiles(
      dir,
      'edge',
      await issueCertificate(serverCa, ['localhost', '127.0.0.1']),
    );
    const chargerCa = await createChargerCa();
    for (const id of ['S3-00001', 'S3-00002']) {
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
    for (const id of ['S3-00001', 'S3-00002'])
      await backend.api('PUT', `/api/charge-points/${id}`, { securityProfile: 3 });
    for (const id of ['S1-00001', 'S1-00002'])
      await backend.api('PUT', `/api/charge-points/${id}`, { securityProfile: 1, password: PASSWORD });
    for (const id of ['S2-00001', 'S2-00002'])
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
      ocpp: '2.0.1',
      ramp: 50,
      duration: 2,
      callTimeout: 5,
      backoffInitial: 5,
      ...overrides,
    });

  async function assertServedAs201(ids: string[]): Promise<void> {
    for (const id of ids)
      assert.equal((await backend.api('GET', `/api/charge-points/${id}`)).body.ocppVersion, '2.0.1', id);
  }

  it('profile 3: each station with its own client certificate', async () => {
    const report = await run({
      chargers: 2,
      idPrefix: 'S3-',
      securityProfile: 3,
      clientCert: path.join(dir, '{id}.pem'),
      clientKey: path.join(dir, '{id}.key'),
    });
    assert.deepEqual(report.errors, {});
    assert.equal(report.versions['2.0.1']!.booted, 2);
    await assertServedAs201(['S3-00001', 'S3-00002']);
  });

  it('profile 2: the password over wss://, and a wrong one refused', async () => {
    const report = await run({ chargers: 2, idPrefix: 'S2-', securityProfile: 2, password: PASSWORD });
    assert.deepEqual(report.errors, {});
    assert.equal(report.versions['2.0.1']!.booted, 2);
    await assertServedAs201(['S2-00001', 'S2-00002']);
    const wrong = await run({ chargers: 1, idPrefix: 'S2-', securityProfile: 2, password: 'not-the-password-01' });
    assert.equal(wrong.chargers.booted, 0);
    assert.ok(
      Object.keys(wrong.errors).some((kind) => kind.includes('401')),
      JSON.stringify(wrong.errors),
    );
  });

  it("profile 1: the password over plain ws:// on the proxy's HTTP listener", async () => {
    const report = await run({
      url: `ws://127.0.0.1:${edge.proxy.httpPort}/ocpp`,
      chargers: 2,
      idPrefix: 'S1-',
      securityProfile: 1,
      password: PASSWORD,
    });
    assert.deepEqual(report.errors, {});
    assert.equal(report.versions['2.0.1']!.booted, 2);
    await assertServedAs201(['S1-00001', 'S1-00002']);
  });
});

describe('OCPP 2.0.1 security messages', () => {
  it('SignCertificate with --cpo-ca-cert: signed and sent back as a 2.0.1 CertificateSigned', async (t) => {
    const dir = await makeTempDir('ocpp-edge-201-cpo-ca-');
    const ca = await createChargerCa('Example CPO Charger CA');
    const flags = {
      'cpo-name': CPO,
      'cpo-ca-cert': await writePem(dir, 'ca.pem', ca.certPem),
      'cpo-ca-key': await writePem(dir, 'ca.key', ca.keyPem),
    };
    await withBackend(t, 'sqlite', flags, async (backend) => {
      const charger = await connect201(backend.ocppUrl, 'CS-CSR');
      const chains = acceptCertificates(charger);
      try {
        const { csrPem } = await createCsr({ subject: `CN=CS-CSR, O=${CPO}` });
        assert.deepEqual(
          await charger.call('SignCertificate', { csr: csrPem, certificateType: 'ChargingStationCertificate' }),
          { status: 'Accepted' },
        );
        await waitFor('CertificateSigned at the station', () => chains.length === 1);
        const leaf = new X509Certificate(
          `${chains[0]!.split('-----END CERTIFICATE-----')[0]}-----END CERTIFICATE-----`,
        );
        assert.match(leaf.subject, /CN=CS-CSR/);
        assert.ok(leaf.checkIssued(new X509Certificate(ca.certPem)));
        await waitFor('the request recorded as accepted', async () => {
          const listed = await backend.api('GET', '/api/charge-points/CS-CSR/certificate-requests');
          return listed.body[0]?.status === 'accepted';
        });
        // A CSR for another station is refused, as for 1.6.
        const other = await createCsr({ subject: `CN=CS-OTHER, O=${CPO}` });
        assert.deepEqual(await charger.call('SignCertificate', { csr: other.csrPem }), { status: 'Rejected' });
      } finally {
        await charger.close();
      }
    });
  });

  it('without a CA: the operator posts the chain and the 2.0.1 station receives it', async (t) => {
    await withBackend(t, 'sqlite', { 'cpo-name': CPO }, async (backend) => {
      const charger = await connect201(backend.ocppUrl, 'CS-EXT');
      const chains = acceptCertificates(charger);
      try {
        const { csrPem } = await createCsr({ subject: `CN=CS-EXT, O=${CPO}` });
        assert.deepEqual(await charger.call('SignCertificate', { csr: csrPem }), { status: 'Accepted' });
        const [pending] = (await backend.api('GET', '/api/charge-points/CS-EXT/certificate-requests')).body;
        assert.equal(pending.status, 'pending');
        const chain = await signCsr(await createChargerCa('External CA'), csrPem);
        const sent = await backend.api(
          'POST',
          `/api/charge-points/CS-EXT/certificate-requests/${pending.id}/certificate`,
          { certificateChain: chain },
        );
        assert.equal(sent.status, 200, JSON.stringify(sent.body));
        assert.equal(sent.body.status, 'accepted');
        assert.deepEqual(chains, [chain]);
      } finally {
        await charger.close();
      }
    });
  });

  it('installed certificates of a 2.0.1 station: GetInstalledCertificateIds in 2.0.1 words, kept per type', async (t) => {
    await withBackend(t, 'sqlite', {}, async (backend) => {
      const charger = await connect201(backend.ocppUrl, 'CS-ROOTS');
      const hash = { hashAlgorithm: 'SHA256', issuerNameHash: 'aa11', issuerKeyHash: 'bb22', serialNumber: '0a' };
      const asked: unknown[] = [];
      charger.handle('GetInstalledCertificateIds', async ({ params }) => {
        asked.push(params);
        return (params as { certificateType: string[] }).certificateType[0] === 'CSMSRootCertificate'
          ? {
              status: 'Accepted',
              certificateHashDataChain: [{ certificateType: 'CSMSRootCertificate', certificateHashData: hash }],
            }
          : { status: 'NotFound' };
      });
      try {
        const refreshed = await backend.api('POST', '/api/charge-points/CS-ROOTS/installed-certificates/refresh');
        assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
        assert.deepEqual(asked, [
          { certificateType: ['CSMSRootCertificate'] },
          { certificateType: ['ManufacturerRootCertificate'] },
        ]);
        assert.deepEqual(
          refreshed.body.map((row: { certificateType: string; serialNumber: string }) => [
            row.certificateType,
            row.serialNumber,
          ]),
          [['CentralSystemRootCertificate', '0a']],
        );
      } finally {
        await charger.close();
      }
    });
  });

  it('SecurityEventNotification in 2.0.1: stored, listed, critical ones flagged, 2.0.1 names counted', async (t) => {
    await withBackend(t, 'sqlite', {}, async (backend) => {
      const charger = await connect201(backend.ocppUrl, 'CS-SEC');
      try {
        for (const event of [
          { type: 'TamperDetectionActivated', timestamp: '2026-01-02T03:04:05Z', techInfo: 'cover opened' },
          { type: 'InvalidCsmsCertificate', timestamp: '2026-01-02T03:05:00Z' },
        ])
          assert.deepEqual(await charger.call('SecurityEventNotification', event), {});
      } finally {
        await charger.close();
      }
      const listed = await backend.api('GET', '/api/charge-points/CS-SEC/security-events');
      assert.deepEqual(
        listed.body.map((event: { type: string; critical: boolean; techInfo: string | null }) => [
          event.type,
          event.critical,
          event.techInfo,
        ]),
        [
          ['InvalidCsmsCertificate', false, null],
          ['TamperDetectionActivated', true, 'cover opened'],
        ],
      );
      // A 2.0.1 event name is a known type: its own metric label, not "other".
      assert.equal(
        metricValue(await backend.metrics(), 'ocpp_edge_security_events_total', {
          type: 'InvalidCsmsCertificate',
          critical: 'false',
        }),
        1,
      );
    });
  });
});
