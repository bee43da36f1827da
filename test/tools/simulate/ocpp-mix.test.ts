// --ocpp: one version or a mix of them, and the version each next charger of a fleet speaks.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OcppVersionSequence, parseOcppMix } from '../../../tools/simulate/ocpp-mix.js';

describe('--ocpp', () => {
  test('one version, a mix with shares, and a list without shares (even)', () => {
    assert.deepEqual(parseOcppMix('2.0.1'), [{ version: '2.0.1', share: 1 }]);
    assert.deepEqual(parseOcppMix('1.6:30%, 2.0.1:70%'), [
      { version: '1.6', share: 0.3 },
      { version: '2.0.1', share: 0.7 },
    ]);
    assert.deepEqual(parseOcppMix('1.6,2.0.1'), [
      { version: '1.6', share: 0.5 },
      { version: '2.0.1', share: 0.5 },
    ]);
  });

  test('refuses what it cannot split, saying why', () => {
    assert.throws(() => parseOcppMix(''), /expects VERSION/);
    assert.throws(() => parseOcppMix('2.1'), /unknown version or share "2\.1"/);
    assert.throws(() => parseOcppMix('1.6:50'), /unknown version or share "1\.6:50"/);
    assert.throws(() => parseOcppMix('1.6:40%,2.0.1:40%'), /add up to 80%, not 100%/);
    assert.throws(() => parseOcppMix('1.6:100%,2.0.1:0%'), /more than 0%/);
    assert.throws(() => parseOcppMix('1.6,1.6'), /1\.6 is named twice/);
    assert.throws(() => parseOcppMix('1.6:50%,2.0.1'), /to every version, or to none/);
  });

  test('interleaves the versions with exact counts at every point of the fleet', () => {
    const sequence = new OcppVersionSequence(parseOcppMix('1.6:30%,2.0.1:70%'));
    const versions = Array.from({ length: 10 }, () => sequence.next());
    assert.equal(versions.filter((version) => version === '1.6').length, 3);
    assert.deepEqual(versions.slice(0, 4).sort(), ['1.6', '2.0.1', '2.0.1', '2.0.1']);
    const even = new OcppVersionSequence(parseOcppMix('1.6,2.0.1'));
    assert.deepEqual(
      Array.from({ length: 4 }, () => even.next()),
      ['1.6', '2.0.1', '1.6', '2.0.1'],
    );
  });
});
