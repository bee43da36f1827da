// Raising a charger's security profile as the whitepaper migrates it: real chargers, real proxy (plain ws:// for
// profile 1, TLS with --client-ca for 2 and 3), real backend. The charger answers ChangeConfiguration SecurityProfile
// and Reset like a charger does, closes, and comes back with the new profile; that confirms it, and from then on the
// old way is refused. A rejection or a charger that never comes back the new way leaves the old profile in force.
// Lowering is refused without asking the charger (it would answer Rejected: TC_084_CS).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type WebSocket from 'ws';
import { startTestBackend, API_TOKEN, type TestBackend } from '../../support/backend-instance.js';
import {
  createChargerCa,
  issueChargerCertificate,
  writePem,
  type ChargerCertificate,
} from '../../support/charger-certificates.js';
import { makeTempDir, metricValue, startProxyUnderTest, type ProxyUnderTest } from '../../support/proxy-under-test.js';
import { closeAttempt, connectSecureCharger, type SecureChargerOptions } from '../../support/secure-chargers.js';
import { openEventStream, type SseClient } from '../../support/sse-client.js';
import { waitFor } from '../../support/waiting.js';

const CPO = 'Example CPO';
const PASSWORD = 'migration-password-01';

interface Call {
  action: string;
  payload: Record<string, unknown>;
}

/**
 * A connected charger that answers the central system's commands: `answers[action]` or Accepted. The reads of the
 * configuration inventory (GetConfiguration after an accepted change) are answered, not recorded.
 */
function answerCalls(socket: WebSocket, answers: Record<string, string> = {}): Call[] {
  const calls: Call[] = [];
  socket.on('message', (data) => {
    const frame = JSON.parse(String(data)) as unknown[];
    if (frame[0] !== 2) return;
    const [, id, action, payload] = frame as [number, string, string, Record<string, unknown>];
    if (action === 'GetConfiguration') {
      socket.send(JSON.stringify([3, id, { configurationKey: [] }]));
      return;
    }
    calls.push({ action, payload });
    socket.send(JSON.stringify([3, id, { status: answers[action] ?? 'Accepted' }]));
  });
  return calls;
}

describe('raising a security profile (ChangeConfiguration SecurityProfile, confirmed by the reconnect)', () => {
  let backend: TestBackend;
  let edge: ProxyUnderTest;
  let certificate: ChargerCertificate;
  let events: SseClient;
  const logLines: Array<Record<string, unknown>> = [];

  before(async () => {
    const dir = await makeTempDir('ocpp-edge-migration-');
    const ca = await createChargerCa();
    certificate = await issueChargerCertificate(ca, { subject: `CN=CP-M, O=${CPO}` });
    backend = await startTestBackend(
      { database: `sqlite:${dir}/ocpp.db`, 'cpo-name': CPO, 'log-level': 'info', 'call-timeout': 5 },
      { logLines },
    );
    edge = await startProxyUnderTest({
      upstream: [backend.httpUrl],
      'client-ca': [await writePem(dir, 'ca.pem', ca.certPem)],
      'plain-ocpp-on-http': true,
      'ban-failures-per-id': 0,
    });
    for (const id of ['CP-M', 'CP-R', 'CP-T'])
      assert.equal(
        (await backend.api('PUT', `/api/charge-points/${id}`, { securityProfile: 1, password: PASSWORD })).status,
        201,
      );
    events = await openEventStream(`${backend.httpUrl}/api/events?types=security.profile.migration`, {
      authorization: `Bearer ${API_TOKEN}`,
    });
  });
  after(async () => {
    events?.close();
    await edge?.close();
    await backend?.stop();
  });

  const profileOf = async (id: string) => (await backend.api('GET', `/api/charge-points/${id}/security-profile`)).body;
  const lastRefusal = () => logLines.filter((line) => String(line.msg).startsWith('upgrade refused')).at(-1)!;
  const migrations = async (result: string) =>
    metricValue(await backend.metrics(), 'ocpp_edge_security_profile_migrations_total', { result }) ?? 0;
  const plain = (id: string) =>
    connectSecureCharger(edge.proxy.httpPort, id, { plain: true, password: PASSWORD } satisfies SecureChargerOptions);
  const connected = async (id: string) =>
    waitFor(`${id} to be connected`, async () => (await backend.api('GET', `/api/charge-points/${id}`)).body.connected);

  it('1 → 2: accepted, reset, confirmed when the charger reconnects over TLS; plain ws:// is refused from then on', async () => {
    const first = await plain('CP-M');
    assert.equal(first.status, 101);
    const calls = answerCalls(first.socket!);
    await connected('CP-M');

    const raise = await backend.api('POST', '/api/charge-points/CP-M/security-profile', { securityProfile: 2 });
    assert.equal(raise.status, 202, JSON.stringify(raise.body));
    assert.equal(raise.body.status, 'accepted');
    assert.deepEqual(
      calls.map((call) => [call.action, call.payload]),
      [
        ['ChangeConfiguration', { key: 'SecurityProfile', value: '2' }],
        ['Reset', { type: 'Hard' }],
      ],
    );
    // Until the reconnect, profile 1 is in force.
    let state = await profileOf('CP-M');
    assert.equal(state.securityProfile, 1);
    assert.equal(state.migration.status, 'accepted');

    // The charger reboots and comes back with profile 2: TLS and its password.
    await closeAttempt(first);
    const second = await connectSecureCharger(edge.proxy.httpsPort, 'CP-M', { password: PASSWORD });
    assert.equal(second.status, 101);
    state = await profileOf('CP-M');
    assert.equal(state.securityProfile, 2);
    assert.equal(state.migration.status, 'confirmed');
    assert.equal((await backend.api('GET', '/api/charge-points/CP-M')).body.securityProfile, 2);
    await closeAttempt(second);

    const old = await plain('CP-M');
    assert.equal(old.status, 403);
    assert.equal(lastRefusal().reason, 'profile_below_required');
    assert.equal(await migrations('confirmed'), 1);
    await events.waitForEvents(2);
    assert.deepEqual(
      events.events().map((event) => [event.data.chargePointId, event.data.toProfile, event.data.status]),
      [
        ['CP-M', 2, 'accepted'],
        ['CP-M', 2, 'confirmed'],
      ],
    );
  });

  it('2 → 3 needs a charger certificate first; then the certificate confirms it and a password alone is refused', async () => {
    const first = await connectSecureCharger(edge.proxy.httpsPort, 'CP-M', { password: PASSWORD });
    assert.equal(first.status, 101);
    const calls = answerCalls(first.socket!);
    await connected('CP-M');

    const refused = await backend.api('POST', '/api/charge-points/CP-M/security-profile', { securityProfile: 3 });
    assert.equal(refused.status, 409);
    assert.match(refused.body.message, /needs a charger certificate first/);
    assert.equal(calls.length, 0, 'the charger was not asked');

    const raise = await backend.api('POST', '/api/charge-points/CP-M/security-profile', {
      securityProfile: 3,
      chargerHasCertificate: true,
      reset: false,
    });
    assert.equal(raise.status, 202, JSON.stringify(raise.body));
    assert.deepEqual(
      calls.map((call) => call.action),
      ['ChangeConfiguration'],
      'reset: false sends no Reset',
    );
    await closeAttempt(first);

    const withCertificate = await connectSecureCharger(edge.proxy.httpsPort, 'CP-M', { ...certificate });
    assert.equal(withCertificate.status, 101);
    await closeAttempt(withCertificate);
    assert.equal((await profileOf('CP-M')).securityProfile, 3);

    const passwordOnly = await connectSecureCharger(edge.proxy.httpsPort, 'CP-M', { password: PASSWORD });
    assert.equal(passwordOnly.status, 403);
    assert.equal(lastRefusal().reason, 'profile_below_required');
  });

  it('lowering is refused without asking the charger', async () => {
    const lower = await backend.api('POST', '/api/charge-points/CP-M/security-profile', { securityProfile: 2 });
    assert.equal(lower.status, 409);
    assert.match(lower.body.message, /only raises its SecurityProfile/);
    const same = await backend.api('POST', '/api/charge-points/CP-M/security-profile', { securityProfile: 3 });
    assert.equal(same.status, 409);
  });

  it('a charger that rejects keeps its profile: logged, counted, an event', async () => {
    const attempt = await plain('CP-R');
    assert.equal(attempt.status, 101);
    answerCalls(attempt.socket!, { ChangeConfiguration: 'Rejected' });
    await connected('CP-R');
    const before = await migrations('rejected');
    const raise = await backend.api('POST', '/api/charge-points/CP-R/security-profile', { securityProfile: 2 });
    assert.equal(raise.status, 409);
    assert.match(raise.body.message, /answered Rejected.*security profile 1 stays in force/);
    assert.equal(raise.body.migration.status, 'rejected');
    const state = await profileOf('CP-R');
    assert.equal(state.securityProfile, 1);
    assert.equal(state.migration.status, 'rejected');
    assert.equal(await migrations('rejected'), before + 1);
    assert.ok(logLines.some((line) => line.chargePointId === 'CP-R' && line.migration === 'rejected'));
    await waitFor('the rejected event', () =>
      events.events().some((event) => event.data.chargePointId === 'CP-R' && event.data.status === 'rejected'),
    );
    await closeAttempt(attempt);
    // The old way still works.
    const again = await plain('CP-R');
    assert.equal(again.status, 101);
    await closeAttempt(again);
  });

  it('no reconnect with the new profile before the deadline: timed out, the old profile stays', async () => {
    const attempt = await plain('CP-T');
    assert.equal(attempt.status, 101);
    answerCalls(attempt.socket!);
    await connected('CP-T');
    const raise = await backend.api('POST', '/api/charge-points/CP-T/security-profile', {
      securityProfile: 2,
      waitSeconds: 1,
    });
    assert.equal(raise.status, 202);
    await closeAttempt(attempt);
    // Comes back the old way while the migration waits: still let in (logged).
    const oldWay = await plain('CP-T');
    assert.equal(oldWay.status, 101);
    await closeAttempt(oldWay);
    assert.ok(logLines.some((line) => String(line.msg).includes('reconnected with profile 1, not 2')));

    await waitFor('the migration to time out', async () => (await profileOf('CP-T')).migration.status === 'timed_out', {
      timeoutMs: 5000,
    });
    assert.equal((await profileOf('CP-T')).securityProfile, 1);
    assert.equal(await migrations('timed_out'), 1);
    const later = await plain('CP-T');
    assert.equal(later.status, 101, 'profile 1 is still in force');
    await closeAttempt(later);
    // And TLS with the password is not taken as a late confirmation.
    assert.equal((await profileOf('CP-T')).securityProfile, 1);
  });
});
