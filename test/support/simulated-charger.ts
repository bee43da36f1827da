// One charger of the simulator (tools/simulate/charger.ts) against a backend under test: the same code that
// answers the central system's calls in load tests and in the field checks, keeping its configuration, local
// list, reservations and charging profiles like a charger does.

import pino from 'pino';
import { SimulatedCharger, type ChargerSettings } from '../../tools/simulate/charger.js';
import { SimulationStats } from '../../tools/simulate/stats.js';
import { waitFor } from './waiting.js';

export interface TestSimulatedCharger {
  charger: SimulatedCharger;
  stats: SimulationStats;
  /** Waits until its BootNotification was accepted `times` times in all (reconnects after a reset count). */
  booted(times?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startSimulatedCharger(
  ocppUrl: string,
  identity: string,
  overrides: Partial<ChargerSettings> = {},
  /** Shapes the charger before it connects (configuration keys, local list). */
  prepare?: (charger: SimulatedCharger) => void,
): Promise<TestSimulatedCharger> {
  const stats = new SimulationStats();
  const charger = new SimulatedCharger(
    {
      identity,
      ocppVersion: '1.6',
      endpoint: ocppUrl,
      password: undefined,
      secureContext: undefined,
      rejectUnauthorized: true,
      heartbeatOverrideSec: 3600,
      runTransactions: false,
      meterIntervalSec: 3600,
      transactionDurationSec: 60,
      transactionPauseSec: 60,
      idTag: identity.slice(0, 20),
      callTimeoutMs: 5000,
      pingIntervalSec: 0,
      backoff: { initialMs: 100, maxMs: 500 },
      ...overrides,
    },
    stats,
    pino({ level: 'silent' }),
  );
  prepare?.(charger);
  charger.start();
  const handle: TestSimulatedCharger = {
    charger,
    stats,
    async booted(times = 1) {
      await waitFor(`${identity} booted ${times}×`, () => bootCount(stats) >= times);
    },
    stop: () => charger.stop(),
  };
  // Generous: a fleet booting through TLS on a loaded machine takes a while; a charger that never boots still fails.
  await waitFor(`${identity} booted`, () => bootCount(stats) >= 1, { timeoutMs: 20_000 }).catch(async (error) => {
    await charger.stop();
    throw error;
  });
  return handle;
}

function bootCount(stats: SimulationStats): number {
  return stats.action('BootNotification').ok;
}
