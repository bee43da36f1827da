// Dividing a group's limit: equal shares, the minimum per session with the newest paused, never-zero models held
// at their pause limit, unused shares redistributed, W limits, and the sum never above the limit.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allocate, type GroupSettings, type SessionInput } from '../../../backend/smart-charging/allocation.js';

const GROUP: GroupSettings = { limit: 100, unit: 'A', phases: 3, voltage: 230, minCurrent: 6 };
const sessions = (count: number, extra: (index: number) => Partial<SessionInput> = () => ({})): SessionInput[] =>
  Array.from({ length: count }, (_, index) => ({
    transactionId: index + 1,
    startedAt: `2026-03-02T08:${String(index).padStart(2, '0')}:00Z`,
    ...extra(index),
  }));
const sum = (allocations: Array<{ limit: number }>) => allocations.reduce((total, { limit }) => total + limit, 0);

describe('group allocation', () => {
  it('shares equally, rounded down to 0.1 A', () => {
    const result = allocate(GROUP, sessions(3));
    assert.deepEqual(
      result.map(({ limit }) => limit),
      [33.3, 33.3, 33.3],
    );
    assert.ok(result.every(({ paused }) => !paused));
  });

  it('gives everyone the minimum it can, oldest first; the newest are paused', () => {
    const result = allocate(GROUP, sessions(20).reverse());
    assert.equal(result.filter(({ paused }) => !paused).length, 16, '16 × 6 A fit in 100 A');
    assert.deepEqual(
      result.filter(({ paused }) => paused).map(({ transactionId }) => transactionId),
      [17, 18, 19, 20],
    );
    assert.ok(result.filter(({ paused }) => !paused).every(({ limit }) => limit >= 6));
    assert.ok(result.filter(({ paused }) => paused).every(({ limit }) => limit === 0));
    assert.ok(sum(result) <= 100 + 1e-9);
  });

  it('holds a never-zero model at its pause limit, counted before the minimums', () => {
    const result = allocate(
      { ...GROUP, limit: 20 },
      sessions(4, (index) => (index === 3 ? { pauseCurrent: 1 } : {})),
    );
    // 1 A reserved for session 4, then 3 × 6 A = 18 A: 19 A, and 1 A left shared by the three charging.
    assert.deepEqual(
      result.map(({ limit, paused }) => [limit, paused]),
      [
        [6.3, false],
        [6.3, false],
        [6.3, false],
        [1, true],
      ],
    );
  });

  it('redistributes what a session does not draw, and lifts the cap once it draws near it', () => {
    const lowDraw = allocate(
      GROUP,
      sessions(4, (index) => (index === 0 ? { drawnCurrent: 8, givenCurrent: 25 } : {})),
    );
    assert.deepEqual(
      lowDraw.map(({ limit }) => limit),
      [9, 30.3, 30.3, 30.3],
    );
    const drawsAll = allocate(
      GROUP,
      sessions(4, (index) => (index === 0 ? { drawnCurrent: 8.9, givenCurrent: 9 } : {})),
    );
    assert.deepEqual(
      drawsAll.map(({ limit }) => limit),
      [25, 25, 25, 25],
    );
  });

  it('works in W with the group voltage and phases; random groups never exceed their limit', () => {
    const watts = allocate({ ...GROUP, unit: 'W', limit: 22_000 }, sessions(3));
    assert.deepEqual(
      watts.map(({ limit }) => limit),
      [7333, 7333, 7333],
    );
    for (let round = 0; round < 500; round++) {
      const limit = Math.round(Math.random() * 300);
      const result = allocate(
        { ...GROUP, limit },
        sessions(1 + Math.floor(Math.random() * 30), () => ({
          ...(Math.random() < 0.2 ? { pauseCurrent: 1 } : {}),
          ...(Math.random() < 0.5 ? { drawnCurrent: Math.random() * 32, givenCurrent: Math.random() * 32 } : {}),
        })),
      );
      assert.ok(sum(result) <= limit + 1e-6, `limit ${limit}: ${sum(result)}`);
      for (const allocation of result) assert.ok(allocation.paused || allocation.limit >= 6);
    }
  });
});
