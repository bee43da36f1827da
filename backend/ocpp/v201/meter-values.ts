// OCPP 2.0.1 meter values in the shape the store keeps for both versions. A 2.0.1 sampled value is a JSON number
// with a unit and a power-of-ten multiplier (UnitOfMeasureType); it is stored as the decimal text of
// value × 10^multiplier in that unit, so "12.3 kWh, multiplier 3" reads as 12300 kWh, exactly as 1.6 values do.

import { energyWh } from '../../store/ocpp201-records.js';
import type { SampledValue } from '../../store/store.js';
import { utcTimestamp } from '../handler.js';

export interface MeterValue201 {
  timestamp: string;
  sampledValue: Array<{
    value: number;
    context?: string;
    measurand?: string;
    phase?: string;
    location?: string;
    unitOfMeasure?: { unit?: string; multiplier?: number };
    signedMeterValue?: unknown;
  }>;
}

export function sampledValues201(meterValues: readonly MeterValue201[]): SampledValue[] {
  return meterValues.flatMap((meterValue) => {
    const sampledAt = utcTimestamp(meterValue.timestamp, 'meterValue.timestamp');
    return meterValue.sampledValue.map((sample) => {
      const value: SampledValue = { sampledAt, value: scaled(sample.value, sample.unitOfMeasure?.multiplier ?? 0) };
      if (sample.measurand !== undefined) value.measurand = sample.measurand;
      if (sample.unitOfMeasure?.unit !== undefined) value.unit = sample.unitOfMeasure.unit;
      if (sample.context !== undefined) value.context = sample.context;
      if (sample.location !== undefined) value.location = sample.location;
      if (sample.phase !== undefined) value.phase = sample.phase;
      return value;
    });
  });
}

/**
 * The energy register (Energy.Active.Import.Register, total) of these values in Wh: the reading taken at the start
 * of the transaction (context Transaction.Begin, else the earliest) and at its end (Transaction.End, else the latest).
 */
export function energyRegister(values: readonly SampledValue[]): { first?: number; last?: number } {
  let first: { at: string; wh: number; begin: boolean } | undefined;
  let last: { at: string; wh: number; end: boolean } | undefined;
  for (const value of values) {
    const wh = energyWh(value);
    if (wh === undefined) continue;
    const begin = value.context === 'Transaction.Begin';
    const end = value.context === 'Transaction.End';
    if (!first || (begin && !first.begin) || (begin === first.begin && value.sampledAt < first.at))
      first = { at: value.sampledAt, wh, begin };
    if (!last || (end && !last.end) || (end === last.end && value.sampledAt >= last.at))
      last = { at: value.sampledAt, wh, end };
  }
  return { first: first?.wh, last: last?.wh };
}

/** value × 10^multiplier as decimal text, shifting the decimal point rather than multiplying floats. */
export function scaled(value: number, multiplier: number): string {
  const text = String(value);
  if (multiplier === 0 || /e/i.test(text)) return multiplier === 0 ? text : String(value * 10 ** multiplier);
  const negative = text.startsWith('-');
  const [whole, fraction = ''] = (negative ? text.slice(1) : text).split('.');
  const digits = whole + fraction;
  const point = whole.length + multiplier;
  let result: string;
  if (point <= 0) result = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) result = digits + '0'.repeat(point - digits.length);
  else result = `${digits.slice(0, point)}.${digits.slice(point)}`;
  result = result.replace(/^0+(?=\d)/, '');
  if (result.includes('.')) result = result.replace(/\.?0+$/, '');
  return negative && result !== '0' ? `-${result}` : result;
}
