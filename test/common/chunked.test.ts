// common/chunked.ts: the parts put back together are the list, each is full but the last, none is empty.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { chunked } from '../../common/chunked.js';

describe('chunked', () => {
  it('splits any list into full parts of the size and a shorter last one, losing nothing', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { maxLength: 200 }), fc.integer({ min: 1, max: 50 }), (items, size) => {
        const parts = chunked(items, size);
        assert.deepEqual(parts.flat(), items);
        assert.equal(parts.length, Math.ceil(items.length / size));
        for (const part of parts.slice(0, -1)) assert.equal(part.length, size);
        for (const part of parts) assert.ok(part.length >= 1 && part.length <= size);
      }),
    );
  });

  it('refuses a size that would loop forever or make no sense', () => {
    for (const size of [0, -1, 1.5, Number.NaN]) assert.throws(() => chunked([1, 2], size), RangeError);
  });
});
