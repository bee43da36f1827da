// The simulator's charging profiles: which profile limits the connector when (stack levels, purposes, the
// transaction, recurrence, validity), the answers a charger gives, and GetCompositeSchedule's periods.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChargingProfile } from '../../../common/charging-profile.js';
import { ChargerProfiles, type ProfileCapabilities } from '../../../tools/simulate/smart-charging.js';

const CAPABILITIES: ProfileCapabilities = {
  supported: true,
  maxStackLevel: 8,
  allowedUnits: ['A', 'W'],
  maxPeriods: 4,
  maxInstalled: 6,
  connectors: 1,
};
const T0 = Date.parse('2026-03-02T08:00:00Z');
const TX = { id: 41, startedAt: T0 };

function profile(
  chargingProfileId: number,
  purpose: ChargingProfile['chargingProfilePurpose'],
  stackLevel: number,
  periods: Array<[number, number]>,
  extra: Partial<ChargingProfile> = {},
  unit: 'A' | 'W' = 'A',
): ChargingProfile {
  return {
    chargingProfileId,
    stackLevel,
    chargingProfilePurpose: purpose,
    chargingProfileKind: 'Absolute',
    ...extra,
    chargingSchedule: {
      startSchedule: new Date(T0).toISOString(),
      chargingRateUnit: unit,
      ...extra.chargingSchedule,
      chargingSchedulePeriod: periods.map(([startPeriod, limit]) => ({ startPeriod, limit })),
    },
  };
}

describe('simulated charger profiles', () => {
  it('answers SetChargingProfile as a charger: NotSupported, Rejected by its limits, replaced by id or stack level', () => {
    const profiles = new ChargerProfiles(32);
    const tx = profile(1, 'TxProfile', 1, [[0, 10]]);
    assert.equal(profiles.set(1, tx, { ...CAPABILITIES, supported: false }, TX, T0), 'NotSupported');
    assert.equal(profiles.set(1, tx, CAPABILITIES, undefined, T0), 'Rejected', 'no transaction to limit');
    assert.equal(profiles.set(1, { ...tx, stackLevel: 9 }, CAPABILITIES, TX, T0), 'Rejected', 'above max stack');
    assert.equal(profiles.set(2, tx, CAPABILITIES, TX, T0), 'Rejected', 'no connector 2');
    assert.equal(profiles.set(1, profile(2, 'ChargePointMaxProfile', 0, [[0, 20]]), CAPABILITIES, TX, T0), 'Rejected');
    const manyPeriods = profile(3, 'TxDefaultProfile', 0, [
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
      [4, 5],
    ]);
    assert.equal(
      profiles.set(0, manyPeriods, CAPABILITIES, TX, T0),
      'Rejected',
      'more than ChargingScheduleMaxPeriods',
    );
    assert.equal(profiles.set(1, tx, CAPABILITIES, TX, T0), 'Accepted');
    assert.equal(profiles.profiles[0]?.profile.transactionId, TX.id, 'bound to the running transaction');
    // Same connector, purpose and stack level: replaces profile 1 although its id differs.
    assert.equal(profiles.set(1, profile(5, 'TxProfile', 1, [[0, 12]]), CAPABILITIES, TX, T0), 'Accepted');
    assert.deepEqual(
      profiles.profiles.map((held) => held.profile.chargingProfileId),
      [5],
    );
    assert.equal(profiles.clear({ id: 99 }), 'Unknown');
    assert.equal(profiles.clear({ chargingProfilePurpose: 'TxProfile' }), 'Accepted');
    assert.equal(profiles.profiles.length, 0);
  });

  it('limit: highest stack level per purpose, TxProfile over TxDefault, ChargePointMax caps, W converted', () => {
    const profiles = new ChargerProfiles(32);
    profiles.set(0, profile(1, 'TxDefaultProfile', 0, [[0, 16]]), CAPABILITIES, undefined, T0);
    profiles.set(
      1,
      profile(2, 'TxDefaultProfile', 2, [
        [0, 20],
        [600, 8],
      ]),
      CAPABILITIES,
      undefined,
      T0,
    );
    assert.equal(profiles.limitAt(1, T0 + 1000, 'A', undefined), 20, 'stack level 2 beats 0');
    assert.equal(profiles.limitAt(1, T0 + 700_000, 'A', undefined), 8, 'its second period');
    profiles.set(1, profile(3, 'TxProfile', 0, [[0, 25]]), CAPABILITIES, TX, T0);
    assert.equal(profiles.limitAt(1, T0 + 1000, 'A', TX), 25, 'TxProfile overrides TxDefault whatever its level');
    assert.equal(profiles.limitAt(1, T0 + 1000, 'A', undefined), 20, 'no transaction: the default again');
    profiles.set(0, profile(4, 'ChargePointMaxProfile', 0, [[0, 11040]], {}, 'W'), CAPABILITIES, TX, T0);
    assert.equal(profiles.limitAt(1, T0 + 1000, 'A', TX), 16, '11040 W over 3 phases at 230 V is 16 A');
    assert.equal(profiles.limitAt(1, T0 + 1000, 'W', TX), 11040);
    profiles.transactionEnded(TX.id);
    assert.equal(profiles.profiles.filter((held) => held.profile.chargingProfilePurpose === 'TxProfile').length, 0);
  });

  it('validity, recurrence and relative schedules', () => {
    const profiles = new ChargerProfiles(32);
    const daily = profile(
      1,
      'TxDefaultProfile',
      0,
      [
        [0, 32],
        [17 * 3600, 10],
        [22 * 3600, 32],
      ],
      {
        chargingProfileKind: 'Recurring',
        recurrencyKind: 'Daily',
        chargingSchedule: { startSchedule: '2026-01-01T00:00:00Z', chargingRateUnit: 'A', chargingSchedulePeriod: [] },
      },
    );
    profiles.set(0, daily, CAPABILITIES, undefined, T0);
    assert.equal(profiles.limitAt(1, Date.parse('2026-03-05T18:30:00Z'), 'A', undefined), 10, 'evening of any day');
    assert.equal(profiles.limitAt(1, Date.parse('2026-03-05T23:00:00Z'), 'A', undefined), 32);
    const relative = profile(
      2,
      'TxDefaultProfile',
      1,
      [
        [0, 6],
        [1800, 16],
      ],
      {
        chargingProfileKind: 'Relative',
        validTo: new Date(T0 + 86_400_000).toISOString(),
        chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [], duration: 7200 },
      },
    );
    profiles.set(0, relative, CAPABILITIES, undefined, T0);
    const late = { id: 7, startedAt: T0 + 3_600_000 };
    assert.equal(profiles.limitAt(1, late.startedAt + 60_000, 'A', late), 6, 'counted from the transaction start');
    assert.equal(profiles.limitAt(1, late.startedAt + 2000_000, 'A', late), 16);
    assert.equal(profiles.limitAt(1, late.startedAt + 7300_000, 'A', late), 32, 'after its duration: the daily one');
    assert.equal(profiles.limitAt(1, T0 + 2 * 86_400_000 + 14 * 3600_000, 'A', undefined), 32, 'after validTo');
  });

  it('composite schedule: the periods of the combined limit over the window', () => {
    const profiles = new ChargerProfiles(32);
    profiles.set(
      0,
      profile(1, 'TxDefaultProfile', 0, [
        [0, 16],
        [600, 10],
      ]),
      CAPABILITIES,
      undefined,
      T0,
    );
    profiles.set(0, profile(2, 'ChargePointMaxProfile', 0, [[0, 12]]), CAPABILITIES, undefined, T0);
    const { chargingSchedule } = profiles.composite(1, 1200, 'A', undefined, T0);
    assert.deepEqual(chargingSchedule.chargingSchedulePeriod, [
      { startPeriod: 0, limit: 12, numberPhases: 3 },
      { startPeriod: 600, limit: 10, numberPhases: 3 },
    ]);
    const none = new ChargerProfiles(32).composite(1, 60, 'W', undefined, T0);
    assert.deepEqual(none.chargingSchedule.chargingSchedulePeriod, [{ startPeriod: 0, limit: 22080 }], 'its maximum');
  });
});
