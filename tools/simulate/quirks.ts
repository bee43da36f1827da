// `ocpp-edge simulate --quirks NAME[,NAME]`: simulated chargers that behave like models in the field, so an
// operator can check a deployment against them (each quirk is in docs/INTEROP.md and test/interop/corpus/).
// A quirk rewrites the payload of a call the charger sends, or (`upgrade`) the WebSocket upgrade it opens with
// (upgrade-quirk.ts); with any quirk, the simulated charger's own strict mode is off (it would refuse to send it).

type Payload = Record<string, unknown>;
type Quirk = (action: string, payload: Payload) => Payload;

interface SampledValue {
  value: unknown;
  unit?: string;
  measurand?: string;
}
interface MeterValue {
  timestamp?: string;
  sampledValue: SampledValue[];
}

function eachSample(payload: Payload, change: (sample: SampledValue) => void): void {
  for (const key of ['meterValue', 'transactionData']) {
    for (const meterValue of (payload[key] as MeterValue[] | undefined) ?? []) meterValue.sampledValue.forEach(change);
  }
}

export const QUIRKS: Readonly<Record<string, { model: string; quirk?: Quirk; upgrade?: 'no-connection-header' }>> = {
  'autel-no-connection-header': {
    model: 'Autel MaxiCharger AC: the upgrade request without its Connection header (lbbrhzn/ocpp#1933)',
    upgrade: 'no-connection-header',
  },
  'evlink-long-serials': {
    model: 'Schneider Electric EVlink Smart Wallbox: serial numbers over 25 characters (mobilityhouse/ocpp#122)',
    quirk: (action, payload) =>
      action === 'BootNotification'
        ? {
            ...payload,
            chargePointSerialNumber: `${String(payload.chargePointSerialNumber ?? 'EVLINK')}`.padEnd(26, '0'),
            chargeBoxSerialNumber: 'EVB1A22P4RI3N2011300104N001234567',
          }
        : payload,
  },
  'numeric-meter-values': {
    model: 'OpenEVSE (ArduinoOCPP): sampled values as JSON numbers',
    quirk: (_action, payload) => {
      eachSample(payload, (sample) => {
        const number = Number(sample.value);
        if (typeof sample.value === 'string' && Number.isFinite(number)) sample.value = number;
      });
      return payload;
    },
  },
  'frequency-hz': {
    model: 'a wallbox reporting Frequency in "Hz", not in OCPP 1.6 units (lbbrhzn/ocpp#1969)',
    quirk: (action, payload) => {
      if (action === 'MeterValues')
        for (const meterValue of (payload.meterValue as MeterValue[] | undefined) ?? [])
          meterValue.sampledValue.push({ value: '50.0', measurand: 'Frequency', unit: 'Hz' });
      return payload;
    },
  },
  'lowercase-units': {
    model: 'firmware writing units in lower case ("wh", "kwh")',
    quirk: (_action, payload) => {
      eachSample(payload, (sample) => {
        if (sample.unit) sample.unit = sample.unit.toLowerCase();
      });
      return payload;
    },
  },
  'no-start-timestamp': {
    model: 'chargers without a set clock: StartTransaction without its timestamp',
    quirk: (action, payload) => {
      if (action !== 'StartTransaction') return payload;
      const { timestamp: _timestamp, ...rest } = payload;
      return rest;
    },
  },
};

/** --quirks: names separated by commas, each one of QUIRKS. */
export function checkQuirks(value: string): string | undefined {
  const unknown = parseQuirks(value).filter((name) => !(name in QUIRKS));
  return unknown.length === 0
    ? undefined
    : `unknown quirk ${unknown.join(', ')}; known: ${Object.keys(QUIRKS).join(', ')}`;
}

export function parseQuirks(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}

/** The payload as the quirky models would send it (a copy: the caller's payload is not changed). */
export function withQuirks(names: readonly string[], action: string, payload: Payload): Payload {
  if (names.length === 0) return payload;
  let result = structuredClone(payload);
  for (const name of names) result = QUIRKS[name]?.quirk?.(action, result) ?? result;
  return result;
}

/** Whether one of the quirks sends the upgrade without `Connection: Upgrade`. */
export function omitsConnectionHeader(names: readonly string[]): boolean {
  return names.some((name) => QUIRKS[name]?.upgrade === 'no-connection-header');
}
