// Security profiles end to end: real chargers over real TLS through the proxy (--client-ca) to the backend
// (--cpo-name), each charge point with its profile set through the REST API. Profile 3 needs a certificate the
// proxy verified, CN = identity, O = the CPO name; profile 2 shares the port with a password and no certificate;
// profiles 2 and 3 are refused over plain ws://; client-certificate headers are believed only from --trusted-proxy.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { CLIENT_CERTIFICATE_HEADERS } from '../../../common/client-certificate-headers.js';
import { ConfigError, loadConfig } from '../../../common/config.js';
import { backendOptions } from '../../../backend/options.js';
import { startTestBackend, type TestBackend } from '../../support/backend-instance.js';
import {
  createChargerCa,
  createCrl,
  issueChargerCertificate,
  writePem,
  type ChargerCertificate,
  type TestChargerCa,
} from '../../support/charger-certificates.js';
import { makeTempDir, metricValue, startProxyUnderTest, type ProxyUnderTest } from '../../support/proxy-under-test.js';
import { closeAttempt, connectSecureCharger } from '../../support/secure-chargers.js';
import { nextMessage } from '../../support/tls-clients.js';

const CPO = 'Example CPO';
const PASSWORD = 'profile-2-password-0123';

describe('security profiles through the proxy', () => {
  let backend: TestBackend;
  let edge: ProxyUnderTest;
  let ca: TestChargerCa;
  let crlFile: string;
  let certificate: ChargerCertificate;
  const logLines: Array<Record<string, unknown>> = [];

  before(async () => {
    const dir = await makeTempDir('ocpp-edge-profiles-');
    ca = await createChargerCa();
    certificate = await issueChargerCertificate(ca, { subject: `CN=CP-3, O=${CPO}` });
    crlFile = await writePem(dir, 'ca.crl', await createCrl(ca, []));
    backend = await startTestBackend(
      { database: `sqlite:${dir}/ocpp.db`, 'cpo-name': CPO, 'trusted-proxy': ['127.0.0.1'], 'log-level': 'info' },
      { logLines },
    );
    edge = await startProxyUnderTest({
      upstream: [backend.httpUrl],
      'client-ca': [await writePem(dir, 'ca.pem', ca.certPem)],
      'client-crl': [crlFile],
      // These tests refuse the same ids many times on purpose; bans (proxy/limits/) are tested on their own.
      'ban-failures-per-id': 0,
    });
    for (const [id, body] of [
      ['CP-3', { securityProfile: 3 }],
      ['CP-2', { securityProfile: 2, password: PASSWORD }],
      ['CP-0', {}],
    ] as const)
      assert.equal((await backend.api('PUT', `/api/charge-points/${id}`, body)).status, 201);
  });
  after(async () => {
    await edge?.close();
    await backend?.stop();
  });

  const refusals = async (reason: string) =>
    metricValue(await backend.metrics(), 'ocpp_edge_upgrade_refusals_total', { reason }) ?? 0;
  const lastRefusal = () => logLines.filter((line) => line.msg?.toString().startsWith('upgrade refused')).at(-1)!;

  it('profile 3: the right certificate connects and speaks OCPP', async () => {
    const attempt = await connectSecureCharger(edge.proxy.httpsPort, 'CP-3', certificate);
    assert.equal(attempt.status, 101);
    attempt.socket!.send(JSON.stringify([2, 'h1', 'Heartbeat', {}]));
    const answer = JSON.parse(await nextMessage(attempt.socket!)) as unknown[];
    assert.equal(answer[0], 3);
    assert.equal(answer[1], 'h1');
    await closeAttempt(attempt);
    assert.equal((await backend.api('GET', '/api/charge-points/CP-3')).body.securityProfile, 3);
  });

  it('profile 3: no certificate is 401; a password does not replace it', async () => {
    const before = await refusals('certificate_missing');
    const attempt = await connectSecureCharger(edge.proxy.httpsPort, 'CP-3', { password: PASSWORD });
    assert.equal(attempt.status, 401);
    assert.equal(await refusals('certificate_missing'), before + 1);
    const line = lastRefusal();
    assert.equal(line.chargePointId, 'CP-3');
    assert.equal(line.reason, 'certificate_missing');
    assert.ok(!JSON.stringify(logLines).includes(PASSWORD), 'no password in the logs');
  });

  it('profile 3: a certificate of another charge point or another CPO is 403, with the reason', async () => {
    const other = await issueChargerCertificate(ca, { subject: `CN=CP-OTHER, O=${CPO}` });
    let attempt = await connectSecureCharger(edge.proxy.httpsPort, 'CP-3', other);
    assert.equal(attempt.status, 403);
    assert.equal(attempt.body, 'The client certificate is not issued to this charge point');
    assert.equal(lastRefusal().reason, 'certificate_identity');

    const otherCpo = await issueChargerCertificate(ca, { subject: 'CN=CP-3, O=Someone Else' });
    attempt = await connectSecureCharger(edge.proxy.httpsPort, 'CP-3', otherCpo);
    assert.equal(attempt.status, 403);
    assert.equal(lastRefusal().reason, 'certificate_organization');
  });

  it('profile 3: an expired certificate or one of an unknown CA is 401 (certificate_invalid)', async () => {
    const expired = await issueChargerCertificate(ca, {
      subject: `CN=CP-3, O=${CPO}`,
      notBefore: new Date(Date.now() - 2 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    let attempt = await connectSecureCharger(edge.proxy.httpsPort, 'CP-3', expired);
    assert.equal(attempt.status, 401);
    assert.equal(lastRefusal().reason, 'certificate_invalid');
    assert.match(String(lastRefusal().detail), /CERT_HAS_EXPIRED/);

    const stranger = await issueChargerCertificate(await createChargerCa('Not our CA'), {
      subject: `CN=CP-3, O=${CPO}`,
    });
    attempt = await connectSecureCharger(edge.proxy.httpsPort, 'CP-3', stranger);
    assert.equal(attempt.status, 401);
    assert.equal(lastRefusal().reason, 'certificate_invalid');
  });

  it('profile 3: revoked since the TLS session was made, the resumed session is refused', async () => {
    const first = await connectSecureCharger(edge.proxy.httpsPort, 'CP-3', certificate);
    assert.equal(first.status, 101);
    await closeAttempt(first);
    await writeFile(crlFile, await createCrl(ca, [certificate.serialNumber]));
    await edge.proxy.reload();
    try {
      const again = await connectSecureCharger(edge.proxy.httpsPort, 'CP-3', {
        ...certificate,
        session: first.session,
      });
      assert.equal(again.resumed, true);
      assert.equal(again.status, 401);
      assert.match(String(lastRefusal().detail), /CERT_REVOKED/);
    } finally {
      await writeFile(crlFile, await createCrl(ca, []));
      await edge.proxy.reload();
    }
  });

  it('profile 2 shares the port: password, no certificate; a wrong one is 401', async () => {
    const ok = await connectSecureCharger(edge.proxy.httpsPort, 'CP-2', { password: PASSWORD });
    assert.equal(ok.status, 101);
    await closeAttempt(ok);
    const wrong = await connectSecureCharger(edge.proxy.httpsPort, 'CP-2', { password: `${PASSWORD}x` });
    assert.equal(wrong.status, 401);
    assert.equal(lastRefusal().reason, 'password_wrong');
    // A charger that has a certificate anyway is still judged by its password.
    const withCertificate = await connectSecureCharger(edge.proxy.httpsPort, 'CP-2', { ...certificate });
    assert.equal(withCertificate.status, 401);
    assert.equal(lastRefusal().reason, 'password_missing');
  });

  it('profiles 2 and 3 are refused over plain ws:// straight to the backend (403 tls_required)', async () => {
    const port = Number(new URL(backend.httpUrl).port);
    for (const id of ['CP-2', 'CP-3']) {
      const attempt = await connectSecureCharger(port, id, { plain: true, password: PASSWORD });
      assert.equal(attempt.status, 403, id);
      assert.equal(attempt.body, 'This charge point must connect over TLS (wss://)');
      assert.equal(lastRefusal().reason, 'tls_required');
    }
    // Profile 0 is what it always was.
    const legacy = await connectSecureCharger(port, 'CP-0', { plain: true });
    assert.equal(legacy.status, 101);
    await closeAttempt(legacy);
  });

  it('client-certificate headers from outside --trusted-proxy are refused on the upgrade and the API (403)', async () => {
    const forged = {
      [CLIENT_CERTIFICATE_HEADERS.verify]: 'SUCCESS',
      [CLIENT_CERTIFICATE_HEADERS.certificate]: Buffer.from(certificate.certPem).toString('base64'),
      'x-forwarded-proto': 'https',
    };
    const port = Number(new URL(backend.httpUrl).port);
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ocpp/CP-3`, ['ocpp1.6'], {
        headers: forged,
        localAddress: '127.0.0.2',
      });
      ws.once('open', () => reject(new Error('upgraded')));
      ws.once('unexpected-response', (request, response) => {
        resolve(response.statusCode ?? 0);
        request.destroy();
      });
      ws.once('error', reject);
    });
    assert.equal(status, 403);
    assert.equal(lastRefusal().reason, 'untrusted_proxy_headers');
    assert.equal(lastRefusal().remoteAddress, '127.0.0.2');

    const api = await new Promise<number>((resolve, reject) => {
      import('node:http').then(({ request }) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/api/charge-points',
            localAddress: '127.0.0.2',
            headers: { ...forged, authorization: 'Bearer test-token-0123456789' },
          },
          (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      }, reject);
    });
    assert.equal(api, 403);
  });

  it('forged headers sent to the proxy never reach the backend: still no certificate (401)', async () => {
    const attempt = await connectSecureCharger(edge.proxy.httpsPort, 'CP-3', {
      headers: {
        [CLIENT_CERTIFICATE_HEADERS.verify]: 'SUCCESS',
        [CLIENT_CERTIFICATE_HEADERS.certificate]: Buffer.from(certificate.certPem).toString('base64'),
      },
    });
    assert.equal(attempt.status, 401);
    assert.equal(lastRefusal().reason, 'certificate_missing');
  });

  it('the API refuses profiles that could never connect', async () => {
    const noPassword = await backend.api('PUT', '/api/charge-points/CP-NEW', { securityProfile: 2 });
    assert.equal(noPassword.status, 400);
    assert.match(noPassword.body.message, /security profile 2 needs a password/);
    const badProfile = await backend.api('PUT', '/api/charge-points/CP-NEW', { securityProfile: 4 });
    assert.equal(badProfile.status, 400);
    const dropPassword = await backend.api('PUT', '/api/charge-points/CP-2', { password: null });
    assert.equal(dropPassword.status, 400, 'a profile-2 charge point keeps its password');
  });
});

describe('security profile configuration', () => {
  it('profile 3 needs --cpo-name', async () => {
    const dir = await makeTempDir('ocpp-edge-profiles-');
    const backend = await startTestBackend({ database: `sqlite:${dir}/ocpp.db` });
    try {
      const response = await backend.api('PUT', '/api/charge-points/CP-3', { securityProfile: 3 });
      assert.equal(response.status, 400);
      assert.match(response.body.message, /--cpo-name/);
    } finally {
      await backend.stop();
    }
  });

  it('an invalid --trusted-proxy names the key', () => {
    assert.throws(
      () => loadConfig(backendOptions, { flags: { 'trusted-proxy': ['localhost'] }, section: 'backend', env: {} }),
      (error: unknown) => error instanceof ConfigError && error.key.endsWith('trusted-proxy'),
    );
    assert.throws(
      () => loadConfig(backendOptions, { flags: { 'trusted-proxy': ['10.0.0.0/33'] }, section: 'backend', env: {} }),
      (error: unknown) => error instanceof ConfigError && error.key.endsWith('trusted-proxy'),
    );
  });
});
