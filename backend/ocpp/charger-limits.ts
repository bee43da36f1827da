// What a charger says it can do, read from its configuration keys (OCPP 1.6 §9), or for an OCPP 2.0.1 charger from
// its device model's keys (v201/device-model-keys.ts; Part 2 appendix, the controllers' variables): the features
// size what they send by it (local list chunks, profile stack levels) and skip what the charger does not support.

import type { ConfigurationKey } from '../store/configuration-store.js';

export interface ChargerLimits {
  supportedFeatureProfiles: string[] | null;
  numberOfConnectors: number | null;
  getConfigurationMaxKeys: number | null;
  localAuthListEnabled: boolean | null;
  localAuthListMaxLength: number | null;
  sendLocalListMaxLength: number | null;
  reserveConnectorZeroSupported: boolean | null;
  chargeProfileMaxStackLevel: number | null;
  chargingScheduleAllowedChargingRateUnit: string[] | null;
  chargingScheduleMaxPeriods: number | null;
  maxChargingProfilesInstalled: number | null;
}

/** OCPP 2.0.1 device model keys (Component/Variable#Attribute) meaning what the 1.6 key means. */
const V201_EQUIVALENTS: Readonly<Record<string, string>> = {
  GetConfigurationMaxKeys: 'DeviceDataCtrlr/ItemsPerMessage[GetVariables]#Actual',
  LocalAuthListEnabled: 'LocalAuthListCtrlr/Enabled#Actual',
  // Entries is how many tokens are in the list now; its maxLimit how many it can hold.
  LocalAuthListMaxLength: 'LocalAuthListCtrlr/Entries#MaxLimit',
  SendLocalListMaxLength: 'LocalAuthListCtrlr/ItemsPerMessage#Actual',
  ReserveConnectorZeroSupported: 'ReservationCtrlr/NonEvseSpecific#Actual',
  ChargeProfileMaxStackLevel: 'SmartChargingCtrlr/ProfileStackLevel#Actual',
  ChargingScheduleAllowedChargingRateUnit: 'SmartChargingCtrlr/RateUnit#Actual',
  ChargingScheduleMaxPeriods: 'SmartChargingCtrlr/PeriodsPerSchedule#Actual',
  MaxChargingProfilesInstalled: 'SmartChargingCtrlr/Entries[ChargingProfiles]#MaxLimit',
};

export function chargerLimits(keys: readonly ConfigurationKey[]): ChargerLimits {
  const values = new Map(keys.map((key) => [key.key.toLowerCase(), key.value]));
  // The 1.6 key, else the 2.0.1 variable of the same meaning (a charger has one or the other).
  const text = (name: string) =>
    values.get(name.toLowerCase()) ?? values.get(V201_EQUIVALENTS[name]?.toLowerCase() ?? '') ?? null;
  const integer = (name: string) => {
    const value = text(name)?.trim();
    return value && /^\d+$/.test(value) ? Number(value) : null;
  };
  const boolean = (name: string) => {
    const value = text(name)?.trim().toLowerCase();
    return value === 'true' ? true : value === 'false' ? false : null;
  };
  // CSL: comma-separated; some firmwares separate with spaces or semicolons too.
  const list = (name: string) => {
    const value = text(name);
    return value === null
      ? null
      : value
          .split(/[,;\s]+/)
          .map((item) => item.trim())
          .filter(Boolean);
  };
  return {
    supportedFeatureProfiles: list('SupportedFeatureProfiles'),
    numberOfConnectors: integer('NumberOfConnectors'),
    getConfigurationMaxKeys: integer('GetConfigurationMaxKeys'),
    localAuthListEnabled: boolean('LocalAuthListEnabled'),
    localAuthListMaxLength: integer('LocalAuthListMaxLength'),
    sendLocalListMaxLength: integer('SendLocalListMaxLength'),
    reserveConnectorZeroSupported: boolean('ReserveConnectorZeroSupported'),
    chargeProfileMaxStackLevel: integer('ChargeProfileMaxStackLevel'),
    chargingScheduleAllowedChargingRateUnit: list('ChargingScheduleAllowedChargingRateUnit'),
    chargingScheduleMaxPeriods: integer('ChargingScheduleMaxPeriods'),
    maxChargingProfilesInstalled: integer('MaxChargingProfilesInstalled'),
  };
}

/** True when the charger lists the profile, or when it never said (many chargers omit the key). @public */
export function supportsProfile(limits: ChargerLimits, profile: string): boolean {
  if (!limits.supportedFeatureProfiles) return true;
  const wanted = profile.toLowerCase();
  return limits.supportedFeatureProfiles.some((item) => item.toLowerCase() === wanted);
}
