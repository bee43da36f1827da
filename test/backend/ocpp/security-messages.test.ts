// The charger-initiated messages of the OCPP 1.6 security extension, from a real strict-mode charger: security
// events stored, listed and counted (critical ones flagged); SignCertificate checked, signed by --cpo-ca-cert and
// answered with CertificateSigned, or left pending until an operator posts the chain; the log-upload and
// signed-firmware status histories; the certificates a charger reports as installed. On SQLite and PostgreSQL.

import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import type { RPCClient } from 'ocpp-rpc';
import { withBackend } from '../../support/backend-instance.js';
import { createChargerCa, createCsr, signCsr, writePem } from '../../support/charger-certificates.js';
import { connectCharger } from '../../support/ocpp-chargers.js';
import { makeTempDir, metricValue } from '../../support/proxy-under-test.js';
import { STORAGE_NAMES } from '../../support/storage-targets.js';
import { waitFor } from '../../support/waiting.js';

const CPO = 'Example CPO';

/** Collects the CertificateSigned calls the charger receives, answering them with `answer`. */
function acceptCertificates(charger: RPCClient, answer = 'Accepted'): string[] {
  const chains: string[] = [];
  charger.handle('CertificateSigned', async ({ params }) => {
    chains.push((params as { certificateChain: string }).certificateChain);
    return { status: answer };
  });
  return chains;
}

for (const dialect of STORAGE_NAMES) {
  describe(`security extension messages (${dialect})`, () => {
    it('SecurityEventNotification: stored, listed newest first, counted by type and criticality', async (t) => {
      await withBackend(t, dialect, {}, async (backend) => {
        const charger = await connectCharger(backend.ocppUrl, 'CP-SEC');
        try {
          for (const event of [
            { type: 'StartupOfTheDevice', timestamp: '2025-06-01T10:00:00+02:00' },
            { type: 'InvalidTLSVersion', timestamp: '2025-06-01T08:01:00Z', techInfo: 'TLSv1.0 offered' },
            { type: 'TamperDetectionActivated', timestamp: '2025-06-01T08:02:00Z', techInfo: 'lid open' },
            { type: 'VendorSpecificThing', timestamp: '2025-06-01T08:03:00Z' },
          ])
            assert.deepEqual(await charger.call('SecurityEventNotification', event), {});
        } finally {
          await charger.close();
        }
        const listed = await backend.api('GET', '/api/charge-points/CP-SEC/security-events');
        assert.equal(listed.status, 200);
        assert.deepEqual(
          listed.body.map((event: { type: string; critical: boolean }) => [event.type, event.critical]),
          [
            ['VendorSpecificThing', false],
            ['TamperDetectionActivated', true],
            ['InvalidTLSVersion', false],
            ['StartupOfTheDevice', true],
          ],
        );
        assert.equal(listed.body[3].timestamp, '2025-06-01T08:00:00.000Z', 'stored in UTC');
        assert.equal(listed.body[2].techInfo, 'TLSv1.0 offered');
        const metrics = await backend.metrics();
        assert.equal(
          metricValue(metrics, 'ocpp_edge_security_events_total', {
            type: 'TamperDetectionActivated',
            critical: 'true',
          }),
          1,
        );
        assert.equal(metricValue(metrics, 'ocpp_edge_security_events_total', { type: 'other', critical: 'false' }), 1);
        assert.equal((await backend.api('GET', '/api/charge-points/NOPE/security-events')).status, 404);
      });
    });

    it('LogStatusNotification and SignedFirmwareStatusNotification: histories with their request ids', async (t) => {
      await withBackend(t, dialect, {}, async (backend) => {
        const charger = await connectCharger(backend.ocppUrl, 'CP-LOG');
        try {
          await charger.call('LogStatusNotification', { status: 'Uploading', requestId: 7 });
          await charger.call('LogStatusNotification', { status: 'Uploaded', requestId: 7 });
          await charger.call('SignedFirmwareStatusNotification', { status: 'Downloading', requestId: 3 });
          await charger.call('SignedFirmwareStatusNotification', { status: 'InvalidSignature', requestId: 3 });
          await charger.call('LogStatusNotification', { status: 'Idle' });
        } finally {
          await charger.close();
        }
        const logs = await backend.api('GET', '/api/charge-points/CP-LOG/log-status');
        assert.deepEqual(
          logs.body.map((row: { status: string; requestId: number | null }) => [row.status, row.requestId]),
          [
            ['Idle', null],
            ['Uploaded', 7],
            ['Uploading', 7],
          ],
        );
        const firmware = await backend.api('GET', '/api/charge-points/CP-LOG/signed-firmware-status?limit=1');
        assert.deepEqual(
          firmware.body.map((row: { status: string; requestId: number }) => [row.status, row.requestId]),
          [['InvalidSignature', 3]],
        );
      });
    });

    it('installed certificates: GetInstalledCertificateIds answers are kept per type', async (t) => {
      await withBackend(t, dialect, {}, async (backend) => {
        const charger = await connectCharger(backend.ocppUrl, 'CP-ROOTS');
        const hash = { hashAlgorithm: 'SHA256', issuerNameHash: 'aa11', issuerKeyHash: 'bb22', serialNumber: '0a' };
        charger.handle('GetInstalledCertificateIds', async ({ params }) =>
          (params as { certificateType: string }).certificateType === 'CentralSystemRootCertificate'
            ? { status: 'Accepted', certificateHashData: [hash, { ...hash, serialNumber: '0b' }] }
            : { status: 'NotFound' },
        );
        try {
          const refreshed = await backend.api('POST', '/api/charge-points/CP-ROOTS/installed-certificates/refresh');
          assert.equal(refreshed.status, 200);
          assert.deepEqual(
            refreshed.body.map((row: { certificateType: string; serialNumber: string }) => [
              row.certificateType,
              row.serialNumber,
            ]),
            [
              ['CentralSystemRootCertificate', '0a'],
              ['CentralSystemRootCertificate', '0b'],
            ],
          );
          // A later answer replaces the earlier one for its type.
          charger.handle('GetInstalledCertificateIds', async () => ({
            status: 'Accepted',
            certificateHashData: [hash],
          }));
          await backend.api('POST', '/api/charge-points/CP-ROOTS/installed-certificates/refresh', {
            certificateType: 'CentralSystemRootCertificate',
          });
          const listed = await backend.api('GET', '/api/charge-points/CP-ROOTS/installed-certificates');
          assert.equal(listed.body.length, 1);
          assert.equal(listed.body[0].issuerKeyHash, 'bb22');
        } finally {
          await charger.close();
        }
        const offline = await backend.api('POST', '/api/charge-points/CP-ROOTS/installed-certificates/refresh');
        assert.equal(offline.status, 409);
      });
    });
  });
}

describe('SignCertificate → CertificateSigned', () => {
  it('with --cpo-ca-cert/--cpo-ca-key: a good CSR is signed and sent back at once', async (t) => {
    const dir = await makeTempDir('ocpp-edge-cpo-ca-');
    const ca = await createChargerCa('Example CPO Charger CA');
    const flags = {
      'cpo-name': CPO,
      'cpo-ca-cert': await writePem(dir, 'ca.pem', ca.certPem),
      'cpo-ca-key': await writePem(dir, 'ca.key', ca.keyPem),
      'cpo-cert-days': 30,
    };
    await withBackend(t, 'sqlite', flags, async (backend) => {
      const charger = await connectCharger(backend.ocppUrl, 'CP-CSR');
      const chains = acceptCertificates(charger);
      try {
        const { csrPem } = await createCsr({ subject: `CN=CP-CSR, O=${CPO}` });
        assert.deepEqual(await charger.call('SignCertificate', { csr: csrPem }), { status: 'Accepted' });
        await waitFor('CertificateSigned at the charger', () => chains.length === 1);
        const leaf = new X509Certificate(
          `${chains[0]!.split('-----END CERTIFICATE-----')[0]}-----END CERTIFICATE-----`,
        );
        assert.match(leaf.subject, /CN=CP-CSR/);
        assert.ok(leaf.checkIssued(new X509Certificate(ca.certPem)));
        assert.ok(leaf.verify(new X509Certificate(ca.certPem).publicKey));
        assert.ok(Date.parse(leaf.validTo) - Date.now() < 31 * 86_400_000, '--cpo-cert-days');
        const requests = await waitFor('the request recorded as accepted', async () => {
          const listed = await backend.api('GET', '/api/charge-points/CP-CSR/certificate-requests');
          return listed.body[0]?.status === 'accepted' ? (listed.body as Array<Record<string, string>>) : undefined;
        });
        assert.equal(requests[0].keyType, 'EC P-256');
        assert.equal(requests[0].certificateChain, chains[0]);
      } finally {
        await charger.close();
      }
    });
  });

  it('checks every CSR: another CN, another O, a small RSA key, garbage: Rejected with the reason stored', async (t) => {
    await withBackend(t, 'sqlite', { 'cpo-name': CPO }, async (backend) => {
      const charger = await connectCharger(backend.ocppUrl, 'CP-BAD');
      const chains = acceptCertificates(charger);
      try {
        const cases: Array<[string, RegExp]> = [
          [
            (await createCsr({ subject: `CN=CP-OTHER, O=${CPO}` })).csrPem,
            /subject CN "CP-OTHER" is not the charge point CP-BAD/,
          ],
          [
            (await createCsr({ subject: 'CN=CP-BAD, O=Someone Else' })).csrPem,
            /subject O "Someone Else" is not --cpo-name/,
          ],
          [(await createCsr({ subject: `CN=CP-BAD, O=${CPO}`, rsaBits: 1024 })).csrPem, /RSA key of 1024 bits/],
          ['-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----', /not a PEM PKCS#10 CSR/],
        ];
        for (const [csr] of cases)
          assert.deepEqual(await charger.call('SignCertificate', { csr }), { status: 'Rejected' });
        const listed = await backend.api('GET', '/api/charge-points/CP-BAD/certificate-requests');
        assert.equal(listed.body.length, cases.length);
        cases.reverse().forEach(([, reason], index) => {
          assert.equal(listed.body[index].status, 'rejected');
          assert.match(listed.body[index].detail, reason);
        });
        assert.equal(chains.length, 0, 'nothing signed');
        assert.equal(
          metricValue(await backend.metrics(), 'ocpp_edge_certificate_requests_total', { result: 'rejected' }),
          4,
        );
      } finally {
        await charger.close();
      }
    });
  });

  it('without a CA the CSR waits; the operator posts the chain, checked against the CSR, and it is sent', async (t) => {
    await withBackend(t, 'sqlite', { 'cpo-name': CPO }, async (backend) => {
      const charger = await connectCharger(backend.ocppUrl, 'CP-EXT');
      const chains = acceptCertificates(charger);
      try {
        const { csrPem } = await createCsr({ subject: `CN=CP-EXT, O=${CPO}` });
        assert.deepEqual(await charger.call('SignCertificate', { csr: csrPem }), { status: 'Accepted' });
        const [pending] = (await backend.api('GET', '/api/charge-points/CP-EXT/certificate-requests')).body;
        assert.equal(pending.status, 'pending');
        assert.equal(pending.csr, csrPem);

        const externalCa = await createChargerCa('External CA');
        const other = await createCsr({ subject: `CN=CP-EXT, O=${CPO}` });
        const path = `/api/charge-points/CP-EXT/certificate-requests/${pending.id}/certificate`;
        const wrongKey = await backend.api('POST', path, { certificateChain: await signCsr(externalCa, other.csrPem) });
        assert.equal(wrongKey.status, 400);
        assert.match(wrongKey.body.message, /not for the CSR's key/);
        assert.equal((await backend.api('POST', path, { certificateChain: 'not a chain' })).status, 400);

        const chain = await signCsr(externalCa, csrPem);
        const sent = await backend.api('POST', path, { certificateChain: chain });
        assert.equal(sent.status, 200);
        assert.equal(sent.body.status, 'accepted');
        assert.deepEqual(chains, [chain]);
        assert.equal((await backend.api('POST', path, { certificateChain: chain })).status, 409, 'no longer pending');
      } finally {
        await charger.close();
      }
    });
  });

  it('refuses to start with half a CA or a key that is not its key, naming the option', async (t) => {
    const dir = await makeTempDir('ocpp-edge-cpo-ca-');
    const ca = await createChargerCa();
    const stranger = await createChargerCa('Stranger');
    const caFile = await writePem(dir, 'ca.pem', ca.certPem);
    const strangerKey = await writePem(dir, 'stranger.key', stranger.keyPem);
    for (const [flags, message] of [
      [{ 'cpo-ca-cert': caFile }, /cpo-ca-key: needed with --cpo-ca-cert/],
      [{ 'cpo-ca-cert': caFile, 'cpo-ca-key': strangerKey }, /cpo-name: needed/],
      [{ 'cpo-name': CPO, 'cpo-ca-cert': caFile, 'cpo-ca-key': strangerKey }, /cpo-ca-key: .* is not the key of/],
    ] as const)
      await assert.rejects(
        withBackend(t, 'sqlite', flags, async () => {}),
        message,
      );
  });
});
