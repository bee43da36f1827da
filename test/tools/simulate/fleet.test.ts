// The simulation engine (runSimulation) against a real OCPP-J peer: ocpp-rpc's RPCServer on loopback. Small N,
// a few seconds each; the report's figures are checked against what the central system itself counted.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { runSimulation } from '../../../tools/simulate/fleet.js';
import { startCentralSystem, type TestCentralSystem } from '../../support/simulate-central-system.js';
import { freePort } from '../../support/ports.js';
import { waitFor } from '../../support/waiting.js';
import { selfSignedCertificate } from '../../support/simulate-test-support.js';

const systems: TestCentralSystem[] = [];
async function centralSystem(...args: Parameters<typeof startCentralSystem>): Promise<TestCentralSystem> {
  const system = await startCentralSystem(...args);
  systems.push(system);
  return system;
}
after(async () => {
  await Promise.all(systems.map((system) => system.close()));
});

describe('runSimulation', () => {
  it('boots every charger, sends StatusNotification for connectors 0 and 1, heartbeats at the interval given', async () => {
    const system = await centralSystem({ interval: 1 });
    const report = await runSimulation({ url: system.url, chargers: 10, ramp: 100, duration: 3.5 });

    assert.equal(report.ok, true);
    assert.deepEqual(report.chargers, { started: 10, connected: 10, booted: 10, connectedAtEnd: 10, bootedAtEnd: 10 });
    assert.deepEqual(
      [...system.identities].sort(),
      Array.from({ length: 10 }, (_, i) => `SIM${String(i + 1).padStart(5, '0')}`),
    );
    assert.equal(report.calls.BootNotification!.ok, 10);
    assert.equal(report.calls.StatusNotification!.ok, 20);
    const statuses = system.log.filter((call) => call.action === 'StatusNotification');
    assert.equal(statuses.filter((call) => call.params.connectorId === 0).length, 10);
    assert.equal(statuses.filter((call) => call.params.connectorId === 1).length, 10);
    // Interval 1 s for ~3 s: two or three each; and what the simulator reports is what the server received.
    const heartbeats = report.calls.Heartbeat!;
    assert.equal(heartbeats.ok, system.received.get('Heartbeat'));
    assert.ok(heartbeats.ok >= 20 && heartbeats.ok <= 40, `heartbeats: ${heartbeats.ok}`);
    assert.equal(heartbeats.failed, 0);
    for (const action of ['BootNotification', 'StatusNotification', 'Heartbeat']) {
      const rtt = report.calls[action]!.rttMs;
      assert.equal(rtt.count, report.calls[action]!.ok, `${action} RTT samples`);
      assert.ok(
        rtt.p50 > 0 && rtt.p50 <= rtt.p90 && rtt.p90 <= rtt.p99 && rtt.p99 <= rtt.max,
        `${action} RTT ${JSON.stringify(rtt)}`,
      );
    }
    assert.equal(report.connectMs.count, 10);
    assert.equal(report.bootMs.count, 10);
    assert.ok(report.bootMs.min >= report.connectMs.min);
    assert.deepEqual(report.errors, {});
    assert.equal(report.reconnects, 0);
    assert.equal(report.messages.sent, report.messages.received, 'every call answered, nothing else sent');
    assert.ok(report.durationSec >= 3.5 && report.durationSec < 4.5, `duration ${report.durationSec}`);
  });

  it('heartbeats every --heartbeat seconds whatever interval the central system gives', async () => {
    const system = await centralSystem({ interval: 300 });
    const report = await runSimulation({ url: system.url, chargers: 3, duration: 2.6, heartbeat: 1 });
    assert.equal(report.calls.Heartbeat!.ok, system.received.get('Heartbeat'));
    assert.ok(report.calls.Heartbeat!.ok >= 6, `heartbeats: ${report.calls.Heartbeat!.ok}`);
  });

  it('boots again after the interval when the central system answers Pending, then Rejected', async () => {
    const system = await centralSystem({
      interval: 1,
      bootStatus: (_, attempt) => (attempt === 1 ? 'Pending' : attempt === 2 ? 'Rejected' : 'Accepted'),
    });
    const report = await runSimulation({ url: system.url, chargers: 3, duration: 3.5 });
    assert.equal(report.chargers.booted, 3);
    assert.deepEqual(report.refusals, { 'BootNotification Pending': 3, 'BootNotification Rejected': 3 });
    assert.equal(system.received.get('BootNotification'), 9);
    // Two intervals of 1 s before the accepted boot; nothing else was sent meanwhile.
    assert.ok(report.bootMs.min >= 1900, `boot time ${JSON.stringify(report.bootMs)}`);
    for (const identity of system.identities) {
      const actions = system.log.filter((call) => call.identity === identity).map((call) => call.action);
      assert.deepEqual(
        actions.slice(0, 4),
        ['BootNotification', 'BootNotification', 'BootNotification', 'StatusNotification'],
        identity,
      );
    }
  });

  it('runs transactions: Authorize, StartTransaction, MeterValues, StopTransaction, repeated', async () => {
    const system = await centralSystem({ interval: 300 });
    const report = await runSimulation({
      url: system.url,
      chargers: 3,
      duration: 4,
      transactions: true,
      meterInterval: 0.3,
      transactionDuration: 1,
      transactionPause: 0.2,
    });
    const { started, stopped } = report.transactions;
    assert.ok(started >= 6, `transactions started: ${started}`);
    // Sessions still running when the run ended were stopped properly.
    assert.equal(stopped, started);
    assert.equal(system.received.get('StartTransaction'), started);
    assert.equal(system.received.get('StopTransaction'), stopped);
    assert.equal(system.received.get('Authorize'), report.calls.Authorize!.ok);
    assert.equal(system.received.get('MeterValues'), report.calls.MeterValues!.ok);
    assert.ok(report.calls.MeterValues!.ok >= started, 'about three MeterValues per session');
    // One charger's story, in order, and its meter only goes up.
    const story = system.log
      .filter((call) => call.identity === 'SIM00001' && call.action !== 'StatusNotification')
      .map((call) => call.action);
    assert.deepEqual(story.slice(0, 4), ['BootNotification', 'Authorize', 'StartTransaction', 'MeterValues']);
    const meters = system.log
      .filter(
        (call) =>
          call.identity === 'SIM00001' && (call.action === 'StartTransaction' || call.action === 'StopTransaction'),
      )
      .map((call) => Number(call.params.meterStart ?? call.params.meterStop));
    assert.deepEqual(
      meters,
      [...meters].sort((a, b) => a - b),
    );
    assert.deepEqual(report.errors, {});
  });

  it("answers the central system's calls like a real charger", async () => {
    const system = await centralSystem({ interval: 300 });
    const running = runSimulation({ url: system.url, chargers: 1, duration: 8, backoffInitial: 0.1 });
    await waitFor('the charger to boot', () => system.received.get('StatusNotification') === 2);
    const charger = () => system.clients.get('SIM00001')!;
    const call = (action: string, params: Record<string, unknown>) =>
      charger().call(action, params) as Promise<Record<string, unknown>>;
    const count = (action: string) => system.received.get(action) ?? 0;

    assert.deepEqual(await call('GetConfiguration', { key: ['HeartbeatInterval', 'NoSuchKey'] }), {
      configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '300' }],
      unknownKey: ['NoSuchKey'],
    });
    assert.ok(((await call('GetConfiguration', {})).configurationKey as unknown[]).length > 10);
    assert.deepEqual(await call('ChangeConfiguration', { key: 'MeterValueSampleInterval', value: '1' }), {
      status: 'Accepted',
    });
    assert.deepEqual(await call('ChangeConfiguration', { key: 'NumberOfConnectors', value: '2' }), {
      status: 'Rejected',
    });
    assert.deepEqual(await call('ChangeConfiguration', { key: 'NoSuchKey', value: '1' }), { status: 'NotSupported' });

    const heartbeats = count('Heartbeat');
    assert.deepEqual(await call('TriggerMessage', { requestedMessage: 'Heartbeat' }), { status: 'Accepted' });
    await waitFor('the triggered Heartbeat', () => count('Heartbeat') === heartbeats + 1);

    assert.deepEqual(await call('RemoteStartTransaction', { idTag: 'REMOTE1' }), { status: 'Accepted' });
    await waitFor('StartTransaction', () => count('StartTransaction') === 1);
    const start = system.log.find((entry) => entry.action === 'StartTransaction')!;
    assert.equal(start.params.idTag, 'REMOTE1');
    assert.equal(count('Authorize'), 0, 'AuthorizeRemoteTxRequests is false');
    assert.deepEqual(await call('RemoteStartTransaction', { idTag: 'REMOTE2' }), { status: 'Rejected' }, 'busy');
    await waitFor('MeterValues at the new interval', () => count('MeterValues') >= 1, { timeoutMs: 3000 });
    assert.deepEqual(await call('RemoteStopTransaction', { transactionId: 999 }), { status: 'Rejected' });
    assert.deepEqual(await call('RemoteStopTransaction', { transactionId: 1 }), { status: 'Accepted' });
    await waitFor('StopTransaction', () => count('StopTransaction') === 1);
    assert.equal(system.log.find((entry) => entry.action === 'StopTransaction')!.params.reason, 'Remote');
    const stoppedAt = system.log.findIndex((entry) => entry.action === 'StopTransaction');
    await waitFor('the connector to be Available again', () =>
      system.log.slice(stoppedAt).some((entry) => entry.params.status === 'Available'),
    );

    assert.deepEqual(await call('ChangeAvailability', { connectorId: 0, type: 'Inoperative' }), { status: 'Accepted' });
    await waitFor('StatusNotification Unavailable', () =>
      system.log.some((entry) => entry.params.status === 'Unavailable'),
    );
    assert.deepEqual(await call('RemoteStartTransaction', { idTag: 'REMOTE3' }), { status: 'Rejected' }, 'inoperative');
    assert.deepEqual(await call('ChangeAvailability', { connectorId: 0, type: 'Operative' }), { status: 'Accepted' });
    assert.deepEqual(await call('UnlockConnector', { connectorId: 1 }), { status: 'Unlocked' });
    assert.deepEqual(await call('ClearCache', {}), { status: 'Accepted' });
    assert.deepEqual(await call('DataTransfer', { vendorId: 'acme' }), { status: 'UnknownVendorId' });

    // Reset: the charger closes, reconnects and boots again, as after a reboot.
    assert.deepEqual(await call('Reset', { type: 'Soft' }), { status: 'Accepted' });
    await waitFor('a second BootNotification', () => count('BootNotification') === 2, { timeoutMs: 4000 });

    const report = await running;
    assert.equal(report.ok, true);
    assert.equal(report.reconnects, 0, 'a reset is not a reconnect');
    assert.equal(report.connectionsLost, 0);
    assert.deepEqual(report.errors, {});
    for (const action of [
      'GetConfiguration',
      'ChangeConfiguration',
      'TriggerMessage',
      'RemoteStartTransaction',
      'RemoteStopTransaction',
      'ChangeAvailability',
      'UnlockConnector',
      'ClearCache',
      'DataTransfer',
      'Reset',
    ]) {
      assert.ok((report.answered[action] ?? 0) >= 1, `${action} answered`);
    }
    assert.equal(report.answered.ChangeConfiguration, 3);
  });

  it('reconnects with back-off after the central system drops every connection, without booting again', async () => {
    const system = await centralSystem({ interval: 1 });
    const running = runSimulation({ url: system.url, chargers: 5, duration: 4, backoffInitial: 0.2, backoffMax: 0.5 });
    await waitFor('5 chargers', () => system.clients.size === 5 && system.received.get('StatusNotification') === 10);
    system.dropAll();
    await waitFor('the chargers to come back', () => system.connections === 10, { timeoutMs: 3000 });
    const report = await running;

    assert.equal(report.reconnects, 5);
    assert.equal(report.connectionsLost, 5);
    assert.equal(report.errors['connection: closed 1006'], 5);
    assert.equal(report.chargers.bootedAtEnd, 5);
    assert.equal(report.connectMs.count, 10);
    assert.equal(system.received.get('BootNotification'), 5, 'a lost connection is not a reboot');
    assert.equal(system.received.get('StatusNotification'), 20, 'statuses sent again after the reconnect');
    assert.equal(report.calls.Heartbeat!.ok, system.received.get('Heartbeat'));
  });

  it('keeps trying a central system that is down, and says so (ok: false)', async () => {
    const port = await freePort();
    const report = await runSimulation({
      url: `ws://127.0.0.1:${port}/ocpp`,
      chargers: 3,
      duration: 1.5,
      backoffInitial: 0.2,
      backoffMax: 0.4,
    });
    assert.equal(report.ok, false);
    assert.equal(report.chargers.connected, 0);
    assert.ok(report.errors['connect: ECONNREFUSED']! >= 6, `errors ${JSON.stringify(report.errors)}`);
    assert.ok(report.durationSec < 2);
  });

  it('authenticates with HTTP Basic (--password); a wrong password is counted as HTTP 401', async () => {
    const system = await centralSystem({ password: 'correct horse' });
    const good = await runSimulation({ url: system.url, chargers: 2, duration: 1, password: 'correct horse' });
    assert.equal(good.chargers.booted, 2);
    const bad = await runSimulation({
      url: system.url,
      chargers: 2,
      duration: 1,
      password: 'wrong',
      backoffInitial: 0.2,
    });
    assert.equal(bad.ok, false);
    assert.ok(bad.errors['connect: HTTP 401']! >= 2, JSON.stringify(bad.errors));
  });

  it('connects over wss:// trusting --ca; refuses an unknown certificate unless --insecure', async () => {
    const certificate = selfSignedCertificate();
    try {
      const system = await centralSystem({ tls: certificate, interval: 1 });
      const trusted = await runSimulation({ url: system.url, chargers: 5, duration: 1.5, ca: certificate.certFile });
      assert.equal(trusted.chargers.booted, 5);
      assert.deepEqual(trusted.errors, {});

      const untrusted = await runSimulation({ url: system.url, chargers: 2, duration: 1, backoffInitial: 0.3 });
      assert.equal(untrusted.ok, false);
      assert.ok(
        Object.keys(untrusted.errors).some((kind) => /^connect: .*SELF_SIGNED/.test(kind)),
        JSON.stringify(untrusted.errors),
      );

      const insecure = await runSimulation({ url: system.url, chargers: 2, duration: 1, insecure: true });
      assert.equal(insecure.chargers.booted, 2);
    } finally {
      certificate.cleanup();
    }
  });

  it('stops early when its signal aborts, and still reports', async () => {
    const system = await centralSystem();
    const controller = new AbortController();
    const progress: number[] = [];
    setTimeout(() => controller.abort(), 700);
    const report = await runSimulation(
      { url: system.url, chargers: 4, duration: 60 },
      { signal: controller.signal, progressIntervalMs: 200, onProgress: (snapshot) => progress.push(snapshot.booted) },
    );
    assert.equal(report.interrupted, true);
    assert.ok(report.durationSec < 1.5);
    assert.equal(report.chargers.booted, 4);
    assert.ok(progress.includes(4), `progress: ${progress.join(',')}`);
    assert.equal(system.clients.size, 0, 'every connection closed');
  });
});
