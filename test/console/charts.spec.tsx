// The console's pure pieces: meter values turned into a power/energy chart, and which cached API data an event
// from the stream makes stale.

import { describe, expect, it } from 'vitest';
import { affectedPaths } from '../../console/src/live-events';
import { chartOf, energySoFar } from '../../console/src/meter-chart';

describe('chartOf', () => {
  it('turns sampled values into kW and kWh by time, whatever unit the charger used', () => {
    const { times, series } = chartOf([
      { sampledAt: '2026-12-03T10:00:00Z', value: '7400', measurand: 'Power.Active.Import', unit: 'W' },
      { sampledAt: '2026-12-03T10:00:00Z', value: '1000', unit: 'Wh' }, // no measurand: the energy register
      { sampledAt: '2026-12-03T10:01:00Z', value: '7.2', measurand: 'Power.Active.Import', unit: 'kW' },
      { sampledAt: '2026-12-03T10:01:00Z', value: '1.12', measurand: 'Energy.Active.Import.Register', unit: 'kWh' },
      { sampledAt: '2026-12-03T10:01:00Z', value: '2.4', measurand: 'Power.Active.Import', unit: 'kW', phase: 'L1' },
      { sampledAt: '2026-12-03T10:01:00Z', value: '230', measurand: 'Voltage', unit: 'V' },
      { sampledAt: '2026-12-03T10:02:00Z', value: 'garbage', measurand: 'Power.Active.Import', unit: 'W' },
    ]);
    expect(times).toEqual([Date.parse('2026-12-03T10:00:00Z') / 1000, Date.parse('2026-12-03T10:01:00Z') / 1000]);
    expect(series[0]!.values).toEqual([7.4, 7.2]);
    expect(series[1]!.values).toEqual([1, 1.12]);
  });

  it('gives the energy so far from the last register reading and the meter start', () => {
    const values = [
      { sampledAt: '2026-12-03T10:00:00Z', value: '10500', unit: 'Wh' },
      { sampledAt: '2026-12-03T10:05:00Z', value: '11.75', measurand: 'Energy.Active.Import.Register', unit: 'kWh' },
    ];
    expect(energySoFar(values, 10000)).toBe(1750);
    expect(energySoFar([], 10000)).toBe(null);
  });

  it('sorts samples that arrived out of order', () => {
    const { times } = chartOf([
      { sampledAt: '2026-12-03T10:05:00Z', value: '1', unit: 'Wh' },
      { sampledAt: '2026-12-03T10:01:00Z', value: '2', unit: 'Wh' },
    ]);
    expect(times[0]! < times[1]!).toBe(true);
  });
});

describe('affectedPaths', () => {
  const matches = (event: string, data: unknown, key: string) =>
    affectedPaths({ event, data: JSON.stringify(data), id: '1' }).some((matcher) => matcher(key));

  it("refreshes the fleet lists and that charger's pages, not another charger's", () => {
    const data = { type: 'charger.connected', data: { chargePointId: 'CP 7' } };
    expect(matches('charger.connected', data, '/api/charge-points?limit=50')).toBe(true);
    expect(matches('charger.connected', data, '/api/fleet/summary')).toBe(true);
    expect(matches('charger.connected', data, '/api/charge-points/CP%207')).toBe(true);
    expect(matches('charger.connected', data, '/api/charge-points/CP%207/messages?limit=50')).toBe(true);
    expect(matches('charger.connected', data, '/api/charge-points/CP%2070')).toBe(false);
    expect(matches('charger.connected', data, '/api/transactions?limit=50')).toBe(false);
  });

  it('refreshes transactions on transaction events, and survives a payload that is not JSON', () => {
    expect(matches('transaction.started', { data: { chargePointId: 'A' } }, '/api/transactions?active=true')).toBe(
      true,
    );
    expect(affectedPaths({ event: 'x', data: 'not json', id: '2' }).length).toBe(1);
  });
});
