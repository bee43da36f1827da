// `ocpp-edge simulate --ocpp`: which OCPP version each simulated charger speaks. One version (`1.6`, `2.0.1`) for
// the whole fleet, or a mix with shares that add up to 100 (`1.6:50%,2.0.1:50%`); a list without shares splits the
// fleet evenly (`1.6,2.0.1`). The chargers of a mix are interleaved (a ramp starts both versions from the first
// second), and the counts are exact: 10 chargers at 1.6:30%,2.0.1:70% are 3 and 7.

export const OCPP_VERSIONS = ['1.6', '2.0.1'] as const;
export type OcppVersion = (typeof OCPP_VERSIONS)[number];

export interface OcppShare {
  version: OcppVersion;
  /** Fraction of the fleet, 0 < share ≤ 1; the shares of a mix add up to 1. */
  share: number;
}

/** The parsed --ocpp value; throws an Error whose message says what is wrong (checkOcppMix gives it to the key). */
export function parseOcppMix(value: string): OcppShare[] {
  const parts = value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new Error(`expects VERSION[:PERCENT%][,...] of ${OCPP_VERSIONS.join(', ')}`);
  const entries = parts.map((part) => {
    const match = /^([0-9.]+)(?::(\d+(?:\.\d+)?)%)?$/.exec(part);
    const version = match?.[1];
    if (!match || !OCPP_VERSIONS.includes(version as OcppVersion))
      throw new Error(
        `unknown version or share ${JSON.stringify(part)}; expects VERSION[:PERCENT%] with VERSION one of ${OCPP_VERSIONS.join(', ')}`,
      );
    return { version: version as OcppVersion, percent: match[2] === undefined ? undefined : Number(match[2]) };
  });
  const versions = entries.map((entry) => entry.version);
  const repeated = versions.find((version, index) => versions.indexOf(version) !== index);
  if (repeated) throw new Error(`version ${repeated} is named twice`);
  const withShare = entries.filter((entry) => entry.percent !== undefined);
  if (withShare.length === 0) return entries.map(({ version }) => ({ version, share: 1 / entries.length }));
  if (withShare.length !== entries.length) throw new Error('give a share to every version, or to none');
  if (entries.some((entry) => entry.percent! <= 0)) throw new Error('every share must be more than 0%');
  const total = entries.reduce((sum, entry) => sum + entry.percent!, 0);
  if (Math.abs(total - 100) > 1e-9) throw new Error(`the shares add up to ${total}%, not 100%`);
  return entries.map(({ version, percent }) => ({ version, share: percent! / 100 }));
}

export function checkOcppMix(value: string): string | undefined {
  try {
    parseOcppMix(value);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * The version of each next charger: the one furthest below its share so far (ties: the order given). Exact
 * counts at every prefix of the fleet, within one charger of the share.
 */
export class OcppVersionSequence {
  private readonly assigned: number[];
  private total = 0;

  constructor(private readonly mix: readonly OcppShare[]) {
    this.assigned = mix.map(() => 0);
  }

  next(): OcppVersion {
    this.total++;
    let best = 0;
    let bestDeficit = -Infinity;
    this.mix.forEach((entry, index) => {
      const deficit = entry.share * this.total - this.assigned[index]!;
      if (deficit > bestDeficit + 1e-9) {
        best = index;
        bestDeficit = deficit;
      }
    });
    this.assigned[best]!++;
    return this.mix[best]!.version;
  }
}
