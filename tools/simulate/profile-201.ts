// An OCPP 2.0.1 charging profile (Part 2 §2.10 ChargingProfileType) in the 1.6 shape that smart-charging.ts
// computes limits on: the same concepts under other names (id → chargingProfileId, ChargingStationMaxProfile →
// ChargePointMaxProfile, the first of its chargingSchedule list, evseId → connectorId). A 2.0.1 transaction id is a
// string; the station runs one at a time, so its TxProfiles carry the running transaction's stand-in number.

import type { ChargingProfile as Profile16, ChargingProfilePurpose } from '../../common/charging-profile.js';
import type { ChargingProfile as Profile201 } from './charging-profiles.js';

const PURPOSES: Readonly<Record<string, ChargingProfilePurpose>> = {
  ChargingStationMaxProfile: 'ChargePointMaxProfile',
  TxDefaultProfile: 'TxDefaultProfile',
  TxProfile: 'TxProfile',
};

/** The 1.6 purpose of a 2.0.1 one; undefined for ChargingStationExternalConstraints (set only by the station). */
export function purpose16(purpose: string): ChargingProfilePurpose | undefined {
  return PURPOSES[purpose];
}

/** The profile in 1.6 terms, or undefined when it has no 1.6 meaning (see purpose16) or no schedule. */
export function toProfile16(profile: Profile201, transactionNumber?: number): Profile16 | undefined {
  const purpose = purpose16(profile.chargingProfilePurpose);
  const schedules = profile.chargingSchedule as Profile16['chargingSchedule'][] | undefined;
  const schedule = schedules?.[0];
  if (!purpose || !schedule) return undefined;
  return {
    chargingProfileId: profile.id,
    stackLevel: profile.stackLevel,
    chargingProfilePurpose: purpose,
    chargingProfileKind: profile.chargingProfileKind as Profile16['chargingProfileKind'],
    ...(profile.recurrencyKind !== undefined && { recurrencyKind: profile.recurrencyKind as 'Daily' | 'Weekly' }),
    ...(profile.validFrom !== undefined && { validFrom: profile.validFrom as string }),
    ...(profile.validTo !== undefined && { validTo: profile.validTo as string }),
    ...(purpose === 'TxProfile' && transactionNumber !== undefined && { transactionId: transactionNumber }),
    chargingSchedule: {
      ...(schedule.duration !== undefined && { duration: schedule.duration }),
      ...(schedule.startSchedule !== undefined && { startSchedule: schedule.startSchedule }),
      chargingRateUnit: schedule.chargingRateUnit,
      chargingSchedulePeriod: schedule.chargingSchedulePeriod.map((period) => ({
        startPeriod: period.startPeriod,
        limit: period.limit,
        ...(period.numberPhases !== undefined && { numberPhases: period.numberPhases }),
      })),
      ...(schedule.minChargingRate !== undefined && { minChargingRate: schedule.minChargingRate }),
    },
  };
}
