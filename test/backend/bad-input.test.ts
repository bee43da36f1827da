// Misbehaving chargers: oversize frames, floods of calls, streams of garbage. The offender gets the right
// CALLERROR or close code; other chargers are unaffected and nothing already stored is lost.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestBackend, type TestBackend } from '../support/backend-instance.js';
import { connectCharger, RawCharger } from '../support/ocpp-chargers.js';
import { createStorage, type StorageTarget } from '../support/storage-targets.js';

describe('bad input from chargers', () => {
  let storage: StorageTarget;
  let backend: TestBackend;

  before(async (t) => {
    storage = (await createStorage('sqlite', t as never))!;
    backend = await startTestBackend({
      database: storage.url,
      'max-frame-size': 4096,
      'max-pending-calls': 8,
      'max-bad-messages': 5,
    });
  });
  after(async () => {
    await backend?.stop();
    await storage?.cleanup();
  });

  it('closes a connection sending a frame over --max-frame-size with 1009; others carry on', async () => {
    const bystander = await connectCharger(backend.ocppUrl, 'CP-CALM');
    const offender = await RawCharger.connect(backend.ocppUrl, 'CP-BIG', []);
    offender.send(JSON.stringify([2, 'big', 'DataTransfer', { vendorId: 'x', data: 'A'.repeat(8192) }]));
    const closed = await offender.closed;
    assert.equal(closed.code, 1009);
    assert.deepEqual(await bystander.call('Heartbeat', {}).then((answer) => Object.keys(answer as object)), [
      'currentTime',
    ]);
    // A frame just under the limit is fine.
    const fine = await RawCharger.connect(backend.ocppUrl, 'CP-BIG', []);
    const answer = await fine.call('ok', 'DataTransfer', { vendorId: 'x', data: 'A'.repeat(3500) });
    assert.equal(answer[0], 3);
    fine.close();
    await bystander.close();
  });

  it('bounds a flood of calls from one charger: every call is answered, the excess with a CALLERROR; others stay fast and stored data survives', async () => {
    const bystander = await connectCharger(backend.ocppUrl, 'CP-NEIGHBOUR');
    const flooder = await RawCharger.connect(backend.ocppUrl, 'CP-FLOOD', []);
    const start = await flooder.call('start', 'StartTransaction', {
      connectorId: 1,
      idTag: 'T',
      meterStart: 5,
      timestamp: '2025-01-01T00:00:00Z',
    });
    const { transactionId } = start[2] as { transactionId: number };

    const FLOOD = 500;
    for (let i = 0; i < FLOOD; i++) flooder.send(JSON.stringify([2, `f${i}`, 'Heartbeat', {}]));
    const neighbourStarted = performance.now();
    await bystander.call('Heartbeat', {});
    const neighbourMs = performance.now() - neighbourStarted;

    const answers = [];
    for (let i = 0; i < FLOOD; i++) answers.push(await flooder.answerTo(`f${i}`, 10000));
    const refused = answers.filter((frame) => frame[0] === 4);
    const accepted = answers.filter((frame) => frame[0] === 3);
    assert.equal(answers.length, FLOOD, 'every call got an answer');
    assert.ok(refused.length > 0, 'some calls were refused');
    assert.ok(accepted.length >= 9, 'the ones within the bound were handled');
    assert.equal(refused[0][2], 'GenericError');
    assert.match(String(refused[0][3]), /Too many calls in flight/);
    console.log(
      `flood of ${FLOOD}: ${accepted.length} handled, ${refused.length} refused; neighbour heartbeat ${neighbourMs.toFixed(1)} ms during the flood`,
    );
    assert.ok(neighbourMs < 1000, `neighbour answered in ${neighbourMs} ms`);

    // The flooder is still served once it behaves, and its transaction is intact.
    assert.equal((await flooder.call('after', 'Heartbeat', {}))[0], 3);
    const transaction = await backend.api('GET', `/api/transactions/${transactionId}`);
    assert.equal(transaction.body.meterStart, 5);
    flooder.close();
    await bystander.close();
  });

  it('disconnects a charger after --max-bad-messages consecutive garbage frames (1002)', async () => {
    const charger = await RawCharger.connect(backend.ocppUrl, 'CP-GARBAGE', []);
    for (let i = 0; i < 6; i++) charger.send(`garbage ${i}`);
    const closed = await charger.closed;
    assert.equal(closed.code, 1002);
  });
});
