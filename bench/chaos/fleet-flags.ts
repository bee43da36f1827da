// --fleet "FLAGS": simulator flags handed through to every scenario's fleet, as `ocpp-edge simulate` takes them
// ("--quirks abb-terra --heartbeat 30"), checked against the simulator's own option table.

import { simulateOptions, simulationOptions, type SimulationOptions } from '../../tools/simulate/options.js';

/** The runner sets these itself: a fleet flag may not move the chargers elsewhere or change their count. */
const RESERVED = new Set(['url', 'chargers', 'duration', 'id-prefix', 'config']);

export function parseFleetFlags(text: string): Partial<SimulationOptions> {
  const tokens = text.split(/\s+/).filter((token) => token !== '');
  const flags: Record<string, unknown> = {};
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]!;
    if (!token.startsWith('--')) throw new Error(`--fleet: expected a --flag, got ${JSON.stringify(token)}`);
    const [name, inline] = token.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const spec = (simulateOptions as Record<string, { type: string }>)[name];
    if (!spec) throw new Error(`--fleet: the simulator has no --${name}`);
    if (RESERVED.has(name)) throw new Error(`--fleet: --${name} is set by the chaos runner`);
    let value: string | undefined = inline;
    if (value === undefined && spec.type !== 'boolean') value = tokens[++index];
    if (value === undefined && spec.type !== 'boolean') throw new Error(`--fleet: --${name} needs a value`);
    flags[camelCase(name)] =
      spec.type === 'boolean'
        ? value === undefined || value === 'true'
        : spec.type === 'number'
          ? Number(value)
          : value;
  }
  // Validated as the simulator would (names the flag on an error); only the flags given are handed on.
  const checked = simulationOptions(flags as Partial<SimulationOptions>) as unknown as Record<string, unknown>;
  return Object.fromEntries(Object.keys(flags).map((key) => [key, checked[key]])) as Partial<SimulationOptions>;
}

function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}
