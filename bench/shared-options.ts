// Options that several bench commands take, described and checked once (bench/bench-cli.ts).

import os from 'node:os';
import { type BenchOption, listOf, wholeNumber } from './bench-cli.js';
import { BENCH_DATABASES } from './bench-database.js';
import { checkOcppMix } from '../tools/simulate/ocpp-mix.js';

/** The load generator's processes (--fleet-workers; run.ts calls it --workers). */
export const FLEET_WORKERS_OPTION = {
  type: 'string',
  default: String(Math.max(2, os.availableParallelism())),
  describe: "The load generator's processes",
  check: wholeNumber(1),
} as const satisfies BenchOption;

/** The backend's databases, one measurement each. */
export const DATABASES_OPTION = {
  type: 'string',
  default: BENCH_DATABASES.join(','),
  describe: "The backend's databases, one measurement each",
  check: listOf(BENCH_DATABASES),
} as const satisfies BenchOption;

/** A fleet's OCPP versions, as `ocpp-edge simulate --ocpp` takes them. */
export function ocppMixOption(whose: string) {
  return {
    type: 'string',
    default: '1.6',
    describe: `${whose} OCPP versions, as \`ocpp-edge simulate --ocpp\` takes them: 1.6:50%,2.0.1:50%`,
    check: checkOcppMix,
  } as const satisfies BenchOption;
}
