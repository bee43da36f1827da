// Client certificates at the edge (OCPP security profile 3): with --client-ca the proxy asks every client for a
// certificate without refusing those that have none, and forwards its verdict in the headers of
// common/client-certificate-headers.ts; whatever copy of those headers a client sends is dropped on every route.
// A resumed TLS session carries the certificate, and is judged again: expired or revoked since is FAILED.

import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLIENT_CERTIFICATE_HEADERS, readClientCertificateHeaders } from '../../common/client-certificate-headers.js';
import {
  createChargerCa,
  createCrl,
  issueChargerCertificate,
  writePem,
  type ChargerCertificate,
  type TestChargerCa,
} from '../support/charger-certificates.js';
import {
  makeTempDir,
  metricValue,
  scrapeMetrics,
  startProxyUnderTest,
  type ProxyUnderTest,
} from '../support/proxy-under-test.js';
import { closeAttempt, connectSecureCharger } from '../support/secure-chargers.js';
import { httpsRequest } from '../support/tls-clients.js';
import { startTestUpstream, type TestUpstream } from '../support/test-upstream.js';
import { setTimeout as sleep } from 'node:timers/promises';

const H = CLIENT_CERTIFICATE_HEADERS;

describe('client certificates at the proxy (--client-ca)', () => {
  let dir: string;
  let upstream: TestUpstream;
  let edge: ProxyUnderTest;
  let ca: TestChargerCa;
  let crlFile: string;
  let good: ChargerCertificate;

  before(async () => {
    dir = await makeTempDir('ocpp-edge-client-ca-');
    upstream = await startTestUpstream();
    ca = await createChargerCa();
    good = await issueChargerCertificate(ca, { subject: 'CN=CP-1, O=Example CPO' });
    const caFile = await writePem(dir, 'ca.pem', ca.certPem);
    crlFile = await writePem(dir, 'ca.crl', await createCrl(ca, []));
    edge = await startProxyUnderTest({
      upstream: [upstream.url],
      'client-ca': [caFile],
      'client-crl': [crlFile],
      'tls-ticket-keys': path.join(dir, 'ticket.key'),
    });
  });
  after(async () => {
    await edge?.close();
    await upstream?.close();
  });

  const lastHandshake = () => upstream.handshakes.at(-1)!;

  it('forwards a verified certificate: SUCCESS, the leaf, its subject and serial', async () => {
    const attempt = await connectSecureCharger(edge.proxy.httpsPort, 'CP-1', good);
    assert.equal(attempt.status, 101);
    await closeAttempt(attempt);
    const headers = lastHandshake().headers;
    assert.equal(headers[H.verify], 'SUCCESS');
    assert.equal(headers[H.subject], 'CN=CP-1, O=Example CPO');
    const forwarded = new X509Certificate(Buffer.from(String(headers[H.certificate]), 'base64'));
    assert.equal(forwarded.serialNumber, new X509Certificate(good.certPem).serialNumber);
    assert.equal(headers[H.serial], forwarded.serialNumber.replace(/^(00)+/, ''));
  });

  it('a client without a certificate is not refused at the handshake: NONE (profile 2 shares the port)', async () => {
    const attempt = await connectSecureCharger(edge.proxy.httpsPort, 'CP-2', { password: 'a-password-of-16b' });
    assert.equal(attempt.status, 101);
    await closeAttempt(attempt);
    assert.equal(lastHandshake().headers[H.verify], 'NONE');
    assert.equal(lastHandshake().headers[H.certificate], undefined);
  });

  it('a certificate of another CA, or expired, is forwarded as FAILED with the reason', async () => {
    const stranger = await issueChargerCertificate(await createChargerCa('Other CA'), {
      subject: 'CN=CP-1, O=Example CPO',
    });
    let attempt = await connectSecureCharger(edge.proxy.httpsPort, 'CP-1', stranger);
    await closeAttempt(attempt);
    assert.match(
      String(lastHandshake().headers[H.verify]),
      /^FAILED:UNABLE_TO_(GET_ISSUER_CERT|VERIFY_LEAF_SIGNATURE)/,
    );

    const expired = await issueChargerCertificate(ca, {
      subject: 'CN=CP-1, O=Example CPO',
      notBefore: new Date(Date.now() - 2 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    attempt = await connectSecureCharger(edge.proxy.httpsPort, 'CP-1', expired);
    await closeAttempt(attempt);
    assert.equal(lastHandshake().headers[H.verify], 'FAILED:CERT_HAS_EXPIRED');
    const text = await scrapeMetrics(edge.proxy);
    assert.ok(
      (metricValue(text, 'ocpp_edge_tls_client_certificates_total', { result: 'FAILED:CERT_HAS_EXPIRED' }) ?? 0) >= 1,
    );
  });

  it('drops client-sent copies of the headers on the WebSocket and the HTTP routes', async () => {
    const forged = {
      [H.verify]: 'SUCCESS',
      [H.certificate]: Buffer.from(good.certPem).toString('base64'),
      [H.subject]: 'CN=CP-1, O=Example CPO',
      [H.serial]: '01',
    };
    const attempt = await connectSecureCharger(edge.proxy.httpsPort, 'CP-1', { headers: forged });
    await closeAttempt(attempt);
    assert.deepEqual(readClientCertificateHeaders(lastHandshake().headers), { verify: 'NONE' });
    assert.equal(lastHandshake().headers[H.subject], undefined);

    for (const route of ['/api/charge-points', '/']) {
      await httpsRequest(edge.proxy.httpsPort, route, { headers: forged });
      const seen = upstream.requests.at(-1)!;
      assert.equal(seen.url, route);
      assert.equal(seen.headers[H.verify], 'NONE', route);
      for (const name of [H.certificate, H.subject, H.serial]) assert.equal(seen.headers[name], undefined, name);
    }
  });

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`${version}: a resumed session carries the certificate, and one revoked since is FAILED:CERT_REVOKED`, async () => {
      const certificate = await issueChargerCertificate(ca, { subject: 'CN=CP-R, O=Example CPO' });
      const first = await connectSecureCharger(edge.proxy.httpsPort, 'CP-R', { ...certificate, maxVersion: version });
      assert.equal(first.resumed, false);
      assert.ok(first.session, 'a session to resume');
      await closeAttempt(first);

      const resumed = await connectSecureCharger(edge.proxy.httpsPort, 'CP-R', {
        ...certificate,
        maxVersion: version,
        session: first.session,
      });
      assert.equal(resumed.resumed, true, 'the session was resumed');
      await closeAttempt(resumed);
      assert.equal(lastHandshake().headers[H.verify], 'SUCCESS');
      assert.equal(lastHandshake().headers[H.subject], 'CN=CP-R, O=Example CPO');

      await writeFile(crlFile, await createCrl(ca, [certificate.serialNumber]));
      await edge.proxy.reload();
      const revoked = await connectSecureCharger(edge.proxy.httpsPort, 'CP-R', {
        ...certificate,
        maxVersion: version,
        session: resumed.session ?? first.session,
      });
      assert.equal(revoked.resumed, true, 'still a resumed session');
      await closeAttempt(revoked);
      assert.equal(lastHandshake().headers[H.verify], 'FAILED:CERT_REVOKED');
      // And on a full handshake too.
      const full = await connectSecureCharger(edge.proxy.httpsPort, 'CP-R', { ...certificate, maxVersion: version });
      assert.equal(full.resumed, false);
      await closeAttempt(full);
      assert.equal(lastHandshake().headers[H.verify], 'FAILED:CERT_REVOKED');
      await writeFile(crlFile, await createCrl(ca, []));
      await edge.proxy.reload();
    });
  }

  it('a certificate that expired since the session was made is FAILED:CERT_HAS_EXPIRED on resumption', async () => {
    const shortLived = await issueChargerCertificate(ca, {
      subject: 'CN=CP-E, O=Example CPO',
      notAfter: new Date(Date.now() + 2500),
    });
    const first = await connectSecureCharger(edge.proxy.httpsPort, 'CP-E', shortLived);
    await closeAttempt(first);
    assert.equal(lastHandshake().headers[H.verify], 'SUCCESS');
    await sleep(Math.max(0, Date.parse(new X509Certificate(shortLived.certPem).validTo) - Date.now()) + 1100);
    const later = await connectSecureCharger(edge.proxy.httpsPort, 'CP-E', { ...shortLived, session: first.session });
    assert.equal(later.resumed, true);
    await closeAttempt(later);
    assert.equal(lastHandshake().headers[H.verify], 'FAILED:CERT_HAS_EXPIRED');
  });

  it('sessions resume on another proxy sharing --tls-ticket-keys, certificate included', async () => {
    const other = await startProxyUnderTest({
      upstream: [upstream.url],
      'client-ca': [path.join(dir, 'ca.pem')],
      'tls-ticket-keys': path.join(dir, 'ticket.key'),
    });
    try {
      const first = await connectSecureCharger(edge.proxy.httpsPort, 'CP-1', good);
      await closeAttempt(first);
      const elsewhere = await connectSecureCharger(other.proxy.httpsPort, 'CP-1', { ...good, session: first.session });
      assert.equal(elsewhere.resumed, true);
      await closeAttempt(elsewhere);
      assert.equal(lastHandshake().headers[H.verify], 'SUCCESS');
      const text = await scrapeMetrics(other.proxy);
      assert.equal(
        metricValue(text, 'ocpp_edge_tls_client_certificates_total', { result: 'SUCCESS', resumed: 'true' }),
        1,
      );
    } finally {
      await other.close();
    }
  });

  it('refuses to start with a CRL no --client-ca signed, naming the option', async () => {
    const foreignCrl = await writePem(dir, 'foreign.crl', await createCrl(await createChargerCa('Stranger'), []));
    await assert.rejects(
      startProxyUnderTest({
        upstream: [upstream.url],
        'client-ca': [path.join(dir, 'ca.pem')],
        'client-crl': [foreignCrl],
      }),
      /client-crl: .*not signed by any --client-ca/,
    );
    await assert.rejects(
      startProxyUnderTest({ upstream: [upstream.url], 'client-crl': [crlFile] }),
      /client-crl: needs --client-ca/,
    );
    await assert.rejects(
      startProxyUnderTest({ upstream: [upstream.url], 'client-ca': [path.join(dir, 'missing.pem')] }),
      /client-ca: cannot read .*missing\.pem: ENOENT/,
    );
  });
});

describe('without --client-ca', () => {
  it('no certificate is asked for, and forged headers are still dropped (NONE)', async () => {
    const upstream = await startTestUpstream();
    const edge = await startProxyUnderTest({ upstream: [upstream.url] });
    try {
      const attempt = await connectSecureCharger(edge.proxy.httpsPort, 'CP-1', {
        headers: { [H.verify]: 'SUCCESS', [H.subject]: 'CN=CP-1, O=Example CPO' },
      });
      await closeAttempt(attempt);
      assert.equal(upstream.handshakes.at(-1)!.headers[H.verify], 'NONE');
      assert.equal(upstream.handshakes.at(-1)!.headers[H.subject], undefined);
    } finally {
      await edge.close();
      await upstream.close();
    }
  });
});
