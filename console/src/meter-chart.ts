// Power and energy over a session from its MeterValues, in kW and kWh whatever unit the charger reported in
// (W, kW, Wh, kWh); phase values and other measurands are left out, samples are ordered by time.

import type { MeterValue } from './api';

export interface Series {
  label: string;
  unit: string;
  values: (number | null)[];
  color: string;
}

const POWER = 'Power.Active.Import';
const ENERGY = 'Energy.Active.Import.Register';

/** Power (kW) and energy (kWh) over time from the transaction's sampled values, whatever unit they came in. */
export function chartOf(values: MeterValue[]): { times: number[]; series: Series[] } {
  const byTime = new Map<number, { power: number | null; energy: number | null }>();
  for (const value of values) {
    const measurand = value.measurand ?? ENERGY;
    if ((measurand !== POWER && measurand !== ENERGY) || (value.phase && value.phase !== '')) continue;
    const number = Number(value.value);
    if (!Number.isFinite(number)) continue;
    const time = Math.floor(Date.parse(value.sampledAt) / 1000);
    const entry = byTime.get(time) ?? { power: null, energy: null };
    const unit = (value.unit ?? (measurand === POWER ? 'W' : 'Wh')).toLowerCase();
    if (measurand === POWER) entry.power = unit === 'kw' ? number : number / 1000;
    else entry.energy = unit === 'kwh' ? number : number / 1000;
    byTime.set(time, entry);
  }
  const times = [...byTime.keys()].sort((a, b) => a - b);
  return {
    times,
    series: [
      { label: 'Power', unit: 'kW', color: '#2563eb', values: times.map((t) => byTime.get(t)!.power) },
      { label: 'Energy', unit: 'kWh', color: '#16a34a', values: times.map((t) => byTime.get(t)!.energy) },
    ],
  };
}

export function energySoFar(values: MeterValue[], meterStart: number): number | null {
  const { series } = chartOf(values);
  const energy = series[1]!.values.filter((v): v is number => v !== null).at(-1);
  return energy === undefined ? null : Math.max(0, energy * 1000 - meterStart);
}
