// An OCPP 2.0.1 device model as configuration inventory keys, so a 2.0.1 charger's configuration is shown, diffed
// and read for limits the same way as a 1.6 charger's GetConfiguration keys (docs/OCPP.md, "Configuration
// inventory"). One key per variable attribute, named as the device model store names it (variableKey):
// `Component[instance]@evse.connector/Variable[instance]#Attribute`, e.g. `OCPPCommCtrlr/HeartbeatInterval#Actual`,
// `EVSE@1/AvailabilityState#Actual`. A variable's maxLimit characteristic is a key of its own, `…#MaxLimit`
// (LocalAuthListCtrlr/Entries#MaxLimit is how many tokens the local list holds): read-only, as the charger fixes it.

import type { ConfigurationKey } from '../../store/configuration-store.js';
import { variableKey } from '../../store/ocpp201-records.js';
import { componentFields, variableFields, type Component, type Variable } from './provisioning.js';

export interface ReportData {
  component: Component;
  variable: Variable;
  variableAttribute: Array<{ type?: string; value?: string; mutability?: string }>;
  variableCharacteristics?: { maxLimit?: number };
}

export interface VariableResult {
  attributeStatus: string;
  attributeType?: string;
  attributeValue?: string;
  component: Component;
  variable: Variable;
}

/** The keys of NotifyReport's reportData. */
export function reportKeys(reportData: readonly ReportData[]): ConfigurationKey[] {
  return reportData.flatMap((data) => {
    const keys = data.variableAttribute.map(
      (attribute): ConfigurationKey => ({
        key: keyOf(data.component, data.variable, attribute.type ?? 'Actual'),
        value: attribute.value ?? null,
        readonly: attribute.mutability === 'ReadOnly',
      }),
    );
    const maxLimit = data.variableCharacteristics?.maxLimit;
    if (maxLimit !== undefined)
      keys.push({ key: keyOf(data.component, data.variable, 'MaxLimit'), value: String(maxLimit), readonly: true });
    return keys;
  });
}

/**
 * The keys of a GetVariables answer: the accepted results' values, and the names of those the charger does not
 * have (UnknownComponent/UnknownVariable), which leave the inventory like a 1.6 unknownKey.
 */
export function variableResultKeys(results: readonly VariableResult[]): {
  keys: ConfigurationKey[];
  unknownKeys: string[];
} {
  const keys: ConfigurationKey[] = [];
  const unknownKeys: string[] = [];
  for (const result of results) {
    const key = keyOf(result.component, result.variable, result.attributeType ?? 'Actual');
    if (result.attributeStatus === 'Accepted')
      // GetVariables does not say the mutability: what the inventory knew of it stays (see the caller).
      keys.push({ key, value: result.attributeValue ?? null, readonly: false });
    else if (result.attributeStatus === 'UnknownComponent' || result.attributeStatus === 'UnknownVariable')
      unknownKeys.push(key);
  }
  return { keys, unknownKeys };
}

function keyOf(component: Component, variable: Variable, attributeType: string): string {
  return variableKey({ ...componentFields(component), ...variableFields(variable), attributeType });
}
