// The median `ocpp-edge check` and the bench report for repeated measurements.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { median } from '../../common/median.js';

it('takes the middle value, the mean of the middle two for an even count, NaN for none', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([1, 2]), 1.5);
  assert.equal(median([10, 2, 3, 1]), 2.5);
  assert.ok(Number.isNaN(median([])));
});
