// The after-boot steps run for a bounded number of chargers at a time, the others waiting their turn in the
// order they booted, so a boot storm's boots are not answered behind thousands of configuration reads.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBus } from '../../../backend/events/bus.js';
import { AfterBoot } from '../../../backend/ocpp/after-boot.js';
import { createLogger } from '../../../common/logger.js';
import { waitFor } from '../../support/waiting.js';

const logger = createLogger({ level: 'silent', name: 'test', pretty: false });

function boot(bus: EventBus, chargePointId: string): void {
  bus.emit('charger.booted', { chargePointId, vendor: 'v', model: 'm' });
}

/** A step that holds each charger until released, recording the order of starts. */
function heldStep() {
  const started: string[] = [];
  const releases = new Map<string, () => void>();
  const step = (chargePointId: string) =>
    new Promise<void>((resolve) => {
      started.push(chargePointId);
      releases.set(chargePointId, resolve);
    });
  const release = (chargePointId: string) => {
    releases.get(chargePointId)!();
    releases.delete(chargePointId);
  };
  return { started, step, release };
}

describe('after-boot steps', () => {
  it('run for at most --after-boot-concurrency chargers at once, the rest in the order they booted', async () => {
    const bus = new EventBus();
    const afterBoot = new AfterBoot(bus, logger, 0, 2);
    const { started, step, release } = heldStep();
    afterBoot.add('held', step);
    for (const id of ['CP1', 'CP2', 'CP3', 'CP4', 'CP5']) boot(bus, id);

    await waitFor('two chargers started', () => started.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(started, ['CP1', 'CP2'], 'no third while two run');
    assert.equal(afterBoot.inProgress, 2);
    assert.equal(afterBoot.queued, 3);

    release('CP2');
    await waitFor('CP3 started', () => started.length === 3);
    assert.equal(started[2], 'CP3');
    release('CP1');
    release('CP3');
    await waitFor('all started', () => started.length === 5);
    assert.deepEqual(started, ['CP1', 'CP2', 'CP3', 'CP4', 'CP5']);
    release('CP4');
    release('CP5');
    await afterBoot.settled('CP5');
    assert.equal(afterBoot.inProgress, 0);
    assert.equal(afterBoot.queued, 0);
    afterBoot.close();
  });

  it('a charger that boots again while its steps run gets them again once they are done, never twice at once', async () => {
    const bus = new EventBus();
    const afterBoot = new AfterBoot(bus, logger, 0, 4);
    const { started, step, release } = heldStep();
    afterBoot.add('held', step);
    boot(bus, 'CP1');
    await waitFor('first run', () => started.length === 1);
    boot(bus, 'CP1');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(started.length, 1, 'not a second run beside the first');
    assert.equal(afterBoot.queued, 1);
    release('CP1');
    await waitFor('second run', () => started.length === 2);
    release('CP1');
    await afterBoot.settled('CP1');
    afterBoot.close();
  });
});
