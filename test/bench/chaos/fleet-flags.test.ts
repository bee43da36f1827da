// `npm run chaos -- --fleet "FLAGS"`: simulator flags handed to every scenario's fleet, checked against the
// simulator's own option table (bench/chaos/fleet-flags.ts).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFleetFlags } from '../../../bench/chaos/fleet-flags.js';

describe('chaos --fleet', () => {
  it('hands on the flags given, typed and validated as the simulator takes them', () => {
    assert.deepEqual(parseFleetFlags('--ocpp 1.6:50%,2.0.1:50% --heartbeat=30 --insecure'), {
      ocpp: '1.6:50%,2.0.1:50%',
      heartbeat: 30,
      insecure: true,
    });
    assert.deepEqual(parseFleetFlags(''), {});
  });

  it('refuses unknown flags, flags the runner sets, missing and invalid values', () => {
    assert.throws(() => parseFleetFlags('--nope 1'), /the simulator has no --nope/);
    assert.throws(() => parseFleetFlags('--chargers 5'), /--chargers is set by the chaos runner/);
    assert.throws(() => parseFleetFlags('--heartbeat'), /--heartbeat needs a value/);
    assert.throws(() => parseFleetFlags('ocpp'), /expected a --flag/);
    assert.throws(() => parseFleetFlags('--ocpp 3.0'), /ocpp/);
  });
});
