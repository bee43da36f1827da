// The configuration keys of one simulated charge point (OCPP 1.6 §9.1, the Core profile's standard keys), as a
// central system sees them through GetConfiguration and ChangeConfiguration.

export type ChangeStatus = 'Accepted' | 'Rejected' | 'RebootRequired' | 'NotSupported';

interface Key {
  value: string;
  readonly: boolean;
  /** Keys holding a number of seconds or a count accept only non-negative integers. */
  integer: boolean;
}

export interface ConfigurationEntry {
  key: string;
  readonly: boolean;
  value: string;
}

export class ChargerConfiguration {
  private readonly keys = new Map<string, Key>();

  constructor(initial: { heartbeatIntervalSec: number; meterIntervalSec: number; pingIntervalSec: number }) {
    const rw = (value: string | number, integer = typeof value === 'number'): Key => ({
      value: String(value),
      readonly: false,
      integer,
    });
    const ro = (value: string | number): Key => ({ value: String(value), readonly: true, integer: false });
    this.keys.set('AuthorizeRemoteTxRequests', rw('false'));
    this.keys.set('ClockAlignedDataInterval', rw(0));
    this.keys.set('ConnectionTimeOut', rw(60));
    this.keys.set('GetConfigurationMaxKeys', ro(50));
    this.keys.set('HeartbeatInterval', rw(Math.round(initial.heartbeatIntervalSec)));
    this.keys.set('LocalAuthListEnabled', rw('true'));
    this.keys.set('LocalAuthListMaxLength', { ...ro(1000), integer: true });
    this.keys.set('LocalAuthorizeOffline', rw('false'));
    this.keys.set('LocalPreAuthorize', rw('false'));
    this.keys.set('MeterValuesAlignedData', rw('Energy.Active.Import.Register'));
    this.keys.set('MeterValuesSampledData', rw('Energy.Active.Import.Register,Power.Active.Import'));
    this.keys.set('MeterValueSampleInterval', rw(initial.meterIntervalSec));
    this.keys.set('NumberOfConnectors', ro(1));
    this.keys.set('ResetRetries', rw(3));
    this.keys.set('SendLocalListMaxLength', { ...ro(20), integer: true });
    this.keys.set('StopTransactionOnEVSideDisconnect', rw('true'));
    this.keys.set('StopTransactionOnInvalidId', rw('true'));
    this.keys.set(
      'SupportedFeatureProfiles',
      ro('Core,RemoteTrigger,LocalAuthListManagement,Reservation,SmartCharging'),
    );
    // Smart Charging (OCPP 1.6 §9.4).
    this.keys.set('ChargeProfileMaxStackLevel', { ...ro(8), integer: true });
    this.keys.set('ChargingScheduleAllowedChargingRateUnit', ro('Current,Power'));
    this.keys.set('ChargingScheduleMaxPeriods', { ...ro(24), integer: true });
    this.keys.set('MaxChargingProfilesInstalled', { ...ro(16), integer: true });
    this.keys.set('TransactionMessageAttempts', rw(3));
    this.keys.set('TransactionMessageRetryInterval', rw(30));
    this.keys.set('UnlockConnectorOnEVSideDisconnect', rw('true'));
    this.keys.set('WebSocketPingInterval', rw(Math.round(initial.pingIntervalSec)));
  }

  /** GetConfiguration: every key when none is named, else the known ones and the names of the unknown ones. */
  get(requested?: readonly string[]): { configurationKey: ConfigurationEntry[]; unknownKey: string[] } {
    const names = requested && requested.length > 0 ? requested : [...this.keys.keys()];
    const configurationKey: ConfigurationEntry[] = [];
    const unknownKey: string[] = [];
    for (const name of names) {
      const key = this.keys.get(name);
      if (key) configurationKey.push({ key: name, readonly: key.readonly, value: key.value });
      else unknownKey.push(name);
    }
    return { configurationKey, unknownKey };
  }

  /** ChangeConfiguration: unknown keys are NotSupported, read-only keys and malformed numbers Rejected. */
  change(name: string, value: string): ChangeStatus {
    const key = this.keys.get(name);
    if (!key) return 'NotSupported';
    if (key.readonly) return 'Rejected';
    if (key.integer && !/^\d{1,9}$/.test(value)) return 'Rejected';
    key.value = value;
    return 'Accepted';
  }

  /** A key's text ('' when the charger has no such key). */
  text(name: string): string {
    return this.keys.get(name)?.value ?? '';
  }

  integer(name: string): number {
    return Number(this.keys.get(name)?.value ?? 0);
  }

  /** Sets a key as the charger's own firmware would (read-only ones too); tests shape a charger with it. */
  set(name: string, value: number | string): void {
    const key = this.keys.get(name);
    if (key) key.value = String(value);
  }
}
