// Timestamps as chargers in the field send them, normalised to UTC (backend/ocpp/timestamps.ts).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toUtc } from '../../backend/ocpp/timestamps.js';

describe('charger timestamps', () => {
  const cases: Array<[string, string | undefined]> = [
    ['2025-03-01T10:00:00Z', '2025-03-01T10:00:00.000Z'],
    ['2025-03-01T10:00:00.123z', '2025-03-01T10:00:00.123Z'],
    ['2025-03-01T10:00:00+03:00', '2025-03-01T07:00:00.000Z'],
    ['2025-03-01T10:00:00+03', '2025-03-01T07:00:00.000Z'],
    ['2025-03-01T10:00:00+0530', '2025-03-01T04:30:00.000Z'],
    ['2025-03-01T01:00:00-02', '2025-03-01T03:00:00.000Z'],
    ['2025-03-01T10:00:00', '2025-03-01T10:00:00.000Z'],
    ['2025-03-01 10:00:00', '2025-03-01T10:00:00.000Z'],
    ['2025-03-01T10:00', '2025-03-01T10:00:00.000Z'],
    ['2025-02-30T10:00:00Z', undefined],
    ['2025-03-01', undefined],
    ['yesterday', undefined],
  ];
  for (const [text, expected] of cases) {
    it(`${JSON.stringify(text)} → ${expected ?? 'rejected'}`, () => assert.equal(toUtc(text), expected));
  }
});
