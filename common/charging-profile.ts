// The OCPP 1.6 charging profile (§7.8 ChargingProfile), as the central system stores and sends it and as the
// simulator keeps it: one shape for both sides of SetChargingProfile.

export type ChargingProfilePurpose = 'ChargePointMaxProfile' | 'TxDefaultProfile' | 'TxProfile';
export type ChargingProfileKind = 'Absolute' | 'Recurring' | 'Relative';
export type RecurrencyKind = 'Daily' | 'Weekly';
export type ChargingRateUnit = 'A' | 'W';

export const CHARGING_PROFILE_PURPOSES: readonly ChargingProfilePurpose[] = [
  'ChargePointMaxProfile',
  'TxDefaultProfile',
  'TxProfile',
];

export interface ChargingSchedulePeriod {
  /** Seconds from the start of the schedule. */
  startPeriod: number;
  /** In the schedule's unit: A per phase, or W. */
  limit: number;
  numberPhases?: number;
}

export interface ChargingSchedule {
  /** Seconds; absent: the last period lasts until the profile ends. */
  duration?: number;
  startSchedule?: string;
  chargingRateUnit: ChargingRateUnit;
  chargingSchedulePeriod: ChargingSchedulePeriod[];
  minChargingRate?: number;
}

export interface ChargingProfile {
  chargingProfileId: number;
  /** TxProfile only: the transaction it is for. */
  transactionId?: number;
  stackLevel: number;
  chargingProfilePurpose: ChargingProfilePurpose;
  chargingProfileKind: ChargingProfileKind;
  recurrencyKind?: RecurrencyKind;
  validFrom?: string;
  validTo?: string;
  chargingSchedule: ChargingSchedule;
}

/** The nominal AC voltage per phase used to convert between A and W when nothing better is known. */
export const NOMINAL_VOLTAGE = 230;
/** IEC 61851-1: an AC EV cannot charge below 6 A per phase. */
export const MINIMUM_AC_CURRENT = 6;
