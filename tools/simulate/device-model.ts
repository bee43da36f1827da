// The device model of a simulated OCPP 2.0.1 charging station (Part 2 §1.2, the standardized components and
// variables a small station has), as a central system sees it through GetVariables, SetVariables and GetBaseReport.
// Variables that mean what a 1.6 configuration key means are that key (OCPPCommCtrlr.HeartbeatInterval is
// HeartbeatInterval): the charger reads its settings from one place whichever version it speaks.

import type { ChargerConfiguration } from './configuration.js';

export interface ComponentRef {
  name: string;
  instance?: string;
  evse?: { id: number; connectorId?: number };
}
export interface VariableRef {
  name: string;
  instance?: string;
}

type Mutability = 'ReadOnly' | 'ReadWrite' | 'WriteOnly';
type DataType =
  | 'string'
  | 'decimal'
  | 'integer'
  | 'dateTime'
  | 'boolean'
  | 'OptionList'
  | 'SequenceList'
  | 'MemberList';

interface VariableSpec {
  component: ComponentRef;
  variable: VariableRef;
  mutability: Mutability;
  dataType: DataType;
  unit?: string;
  maxLimit?: number;
  /** The 1.6 configuration key holding the value; else the value is the variable's own. */
  key?: string;
  value?: string;
  /** A value the station computes (availability, counts): read-only. */
  live?: () => string;
}

/** What the device model reads of the charger's state. */
export interface DeviceState {
  readonly configuration: ChargerConfiguration;
  availability(): 'Available' | 'Occupied' | 'Unavailable';
  localListEntries(): number;
  chargingProfiles(): number;
  securityProfile: number;
}

export type ReportBase = 'ConfigurationInventory' | 'FullInventory' | 'SummaryInventory';

export interface ReportData {
  component: ComponentRef;
  variable: VariableRef;
  variableAttribute: Array<{
    type: 'Actual';
    value?: string;
    mutability: Mutability;
    persistent: boolean;
    constant: boolean;
  }>;
  variableCharacteristics: { dataType: DataType; unit?: string; maxLimit?: number; supportsMonitoring: boolean };
}

export class DeviceModel {
  private readonly variables: VariableSpec[];

  constructor(private readonly state: DeviceState) {
    const configuration = state.configuration;
    const maxProfiles = 8;
    this.variables = [
      own('ChargingStation', 'AvailabilityState', 'OptionList', { live: () => state.availability() }),
      own('ChargingStation', 'Available', 'boolean', { value: 'true', mutability: 'ReadOnly' }),
      own('ChargingStation', 'Model', 'string', { value: 'simulator' }),
      own('ChargingStation', 'VendorName', 'string', { value: 'ocpp-edge' }),
      own('EVSE', 'AvailabilityState', 'OptionList', { evse: { id: 1 }, live: () => state.availability() }),
      own('EVSE', 'Power', 'decimal', { evse: { id: 1 }, value: '7400', unit: 'W', maxLimit: 7400 }),
      own('Connector', 'ConnectorType', 'string', { evse: { id: 1, connectorId: 1 }, value: 'cType2' }),
      key('OCPPCommCtrlr', 'HeartbeatInterval', 'integer', 'HeartbeatInterval', 's'),
      key('OCPPCommCtrlr', 'WebSocketPingInterval', 'integer', 'WebSocketPingInterval', 's'),
      own('OCPPCommCtrlr', 'MessageTimeout', 'integer', { instance: 'Default', value: '30', unit: 's' }),
      key('SampledDataCtrlr', 'TxUpdatedInterval', 'integer', 'MeterValueSampleInterval', 's'),
      key('SampledDataCtrlr', 'TxUpdatedMeasurands', 'MemberList', 'MeterValuesSampledData'),
      key('AlignedDataCtrlr', 'Interval', 'integer', 'ClockAlignedDataInterval', 's'),
      key('AuthCtrlr', 'AuthorizeRemoteStart', 'boolean', 'AuthorizeRemoteTxRequests'),
      key('AuthCtrlr', 'LocalPreAuthorize', 'boolean', 'LocalPreAuthorize'),
      key('LocalAuthListCtrlr', 'Enabled', 'boolean', 'LocalAuthListEnabled'),
      own('LocalAuthListCtrlr', 'Entries', 'integer', {
        live: () => String(state.localListEntries()),
        maxLimit: configuration.integer('LocalAuthListMaxLength'),
      }),
      { ...key('LocalAuthListCtrlr', 'ItemsPerMessage', 'integer', 'SendLocalListMaxLength'), mutability: 'ReadOnly' },
      key('TxCtrlr', 'EVConnectionTimeOut', 'integer', 'ConnectionTimeOut', 's'),
      key('TxCtrlr', 'StopTxOnInvalidId', 'boolean', 'StopTransactionOnInvalidId'),
      own('TxCtrlr', 'TxStartPoint', 'MemberList', { value: 'Authorized', mutability: 'ReadWrite' }),
      own('TxCtrlr', 'TxStopPoint', 'MemberList', { value: 'Authorized', mutability: 'ReadWrite' }),
      own('DeviceDataCtrlr', 'ItemsPerMessage', 'integer', { instance: 'GetReport', value: '10' }),
      own('DeviceDataCtrlr', 'ItemsPerMessage', 'integer', { instance: 'GetVariables', value: '20' }),
      own('DeviceDataCtrlr', 'ItemsPerMessage', 'integer', { instance: 'SetVariables', value: '20' }),
      own('SmartChargingCtrlr', 'Enabled', 'boolean', { value: 'true', mutability: 'ReadWrite' }),
      own('SmartChargingCtrlr', 'Entries', 'integer', {
        instance: 'ChargingProfiles',
        live: () => String(state.chargingProfiles()),
        maxLimit: maxProfiles,
      }),
      own('SmartChargingCtrlr', 'ProfileStackLevel', 'integer', { value: String(maxProfiles) }),
      own('SmartChargingCtrlr', 'PeriodsPerSchedule', 'integer', { value: '24' }),
      own('SmartChargingCtrlr', 'RateUnit', 'MemberList', { value: 'A,W' }),
      own('SecurityCtrlr', 'SecurityProfile', 'integer', { live: () => String(state.securityProfile) }),
      own('SecurityCtrlr', 'OrganizationName', 'string', { value: 'ocpp-edge', mutability: 'ReadWrite' }),
    ];
  }

  /** DeviceDataCtrlr.ItemsPerMessage[instance]. */
  itemsPerMessage(instance: 'GetReport' | 'GetVariables' | 'SetVariables'): number {
    return Number(this.find({ name: 'DeviceDataCtrlr' }, { name: 'ItemsPerMessage', instance })?.value ?? 10);
  }

  get(
    component: ComponentRef,
    variable: VariableRef,
    attributeType = 'Actual',
  ): { attributeStatus: string; attributeValue?: string } {
    const found = this.lookup(component, variable);
    if (typeof found === 'string') return { attributeStatus: found };
    if (attributeType !== 'Actual') return { attributeStatus: 'NotSupportedAttributeType' };
    if (found.mutability === 'WriteOnly') return { attributeStatus: 'Rejected' };
    return { attributeStatus: 'Accepted', attributeValue: this.valueOf(found) };
  }

  /** SetVariables for one variable; the 1.6 key it is, when it is one, for the charger to apply. */
  set(
    component: ComponentRef,
    variable: VariableRef,
    value: string,
    attributeType = 'Actual',
  ): { attributeStatus: string; key?: string } {
    const found = this.lookup(component, variable);
    if (typeof found === 'string') return { attributeStatus: found };
    if (attributeType !== 'Actual') return { attributeStatus: 'NotSupportedAttributeType' };
    if (found.mutability === 'ReadOnly') return { attributeStatus: 'Rejected' };
    if (!validValue(found.dataType, value)) return { attributeStatus: 'Rejected' };
    if (found.key) {
      const status = this.state.configuration.change(found.key, value);
      return status === 'Accepted' ? { attributeStatus: 'Accepted', key: found.key } : { attributeStatus: 'Rejected' };
    }
    found.value = value;
    return { attributeStatus: 'Accepted' };
  }

  /** The report GetBaseReport asks for; empty for SummaryInventory's nothing-to-say case never happens here. */
  report(base: ReportBase): ReportData[] {
    const selected = this.variables.filter((spec) =>
      base === 'FullInventory'
        ? true
        : base === 'ConfigurationInventory'
          ? spec.mutability !== 'ReadOnly'
          : spec.variable.name === 'AvailabilityState',
    );
    return selected.map((spec) => ({
      component: spec.component,
      variable: spec.variable,
      variableAttribute: [
        {
          type: 'Actual',
          ...(spec.mutability !== 'WriteOnly' && { value: this.valueOf(spec) }),
          mutability: spec.mutability,
          persistent: spec.live === undefined,
          constant: spec.mutability === 'ReadOnly' && spec.live === undefined,
        },
      ],
      variableCharacteristics: {
        dataType: spec.dataType,
        ...(spec.unit && { unit: spec.unit }),
        ...(spec.maxLimit !== undefined && { maxLimit: spec.maxLimit }),
        supportsMonitoring: false,
      },
    }));
  }

  private valueOf(spec: VariableSpec): string {
    if (spec.live) return spec.live();
    if (spec.key) return this.state.configuration.get([spec.key]).configurationKey[0]?.value ?? '';
    return spec.value ?? '';
  }

  private find(component: ComponentRef, variable: VariableRef): VariableSpec | undefined {
    const found = this.lookup(component, variable);
    return typeof found === 'string' ? undefined : found;
  }

  private lookup(
    component: ComponentRef,
    variable: VariableRef,
  ): VariableSpec | 'UnknownComponent' | 'UnknownVariable' {
    const ofComponent = this.variables.filter((spec) => sameComponent(spec.component, component));
    if (ofComponent.length === 0) return 'UnknownComponent';
    return (
      ofComponent.find(
        (spec) => spec.variable.name === variable.name && (spec.variable.instance ?? '') === (variable.instance ?? ''),
      ) ?? 'UnknownVariable'
    );
  }
}

function own(
  component: string,
  variable: string,
  dataType: DataType,
  extra: {
    instance?: string;
    evse?: ComponentRef['evse'];
    value?: string;
    unit?: string;
    maxLimit?: number;
    mutability?: Mutability;
    live?: () => string;
  },
): VariableSpec {
  return {
    component: { name: component, ...(extra.evse && { evse: extra.evse }) },
    variable: { name: variable, ...(extra.instance && { instance: extra.instance }) },
    mutability: extra.mutability ?? 'ReadOnly',
    dataType,
    unit: extra.unit,
    maxLimit: extra.maxLimit,
    value: extra.value,
    live: extra.live,
  };
}

function key(
  component: string,
  variable: string,
  dataType: DataType,
  configurationKey: string,
  unit?: string,
): VariableSpec {
  return {
    component: { name: component },
    variable: { name: variable },
    mutability: 'ReadWrite',
    dataType,
    unit,
    key: configurationKey,
  };
}

function sameComponent(a: ComponentRef, b: ComponentRef): boolean {
  return (
    a.name === b.name &&
    (a.instance ?? '') === (b.instance ?? '') &&
    (a.evse?.id ?? 0) === (b.evse?.id ?? 0) &&
    (a.evse?.connectorId ?? 0) === (b.evse?.connectorId ?? 0)
  );
}

function validValue(dataType: DataType, value: string): boolean {
  if (dataType === 'integer') return /^\d{1,9}$/.test(value);
  if (dataType === 'boolean') return value === 'true' || value === 'false';
  if (dataType === 'decimal') return value.trim() !== '' && Number.isFinite(Number(value));
  return value.length <= 1000;
}
