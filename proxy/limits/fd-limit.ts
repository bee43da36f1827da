// The file-descriptor limit and the connection ceiling under it. Node has no getrlimit(), so the soft limit is
// read from /proc/self/limits (Linux); elsewhere it is unknown and only an explicit --max-connections applies.
//
// A proxied WebSocket holds two descriptors (the charger's socket and the upstream's), an HTTP request the same
// while it is forwarded; the rest of the process (listeners, log files, the upstream keep-alive pool, Redis, the
// certificate files being read) needs a reserve. Past the ceiling Node closes each new connection as soon as it is
// accepted (net.Server's maxConnections) and the held ones keep working; without it, accept() would start failing
// with EMFILE, and so would every upstream connect of every charger already connected.

import { readFileSync } from 'node:fs';

/** Below this soft limit the start-up log warns: a 10,000-charger site needs about 2 × 10,000 + the reserve. */
export const LOW_NOFILE = 65_536;

export interface FileLimit {
  soft: number;
  hard: number;
}

/** The soft and hard RLIMIT_NOFILE of this process; undefined where /proc/self/limits cannot be read. */
export function readFileLimit(text?: string): FileLimit | undefined {
  let limits = text;
  if (limits === undefined) {
    try {
      limits = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined;
    }
  }
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
  if (!match) return undefined;
  const parse = (value: string) => (value === 'unlimited' ? Number.POSITIVE_INFINITY : Number(value));
  return { soft: parse(match[1]!), hard: parse(match[2]!) };
}

/** Descriptors kept for everything that is not a client connection or its upstream. */
export function reservedDescriptors(soft: number): number {
  return Math.max(32, Math.min(1024, Math.floor(soft / 8)));
}

/** The most client connections the descriptors allow. */
export function ceilingFor(soft: number): number {
  if (!Number.isFinite(soft)) return Number.POSITIVE_INFINITY;
  return Math.max(1, Math.floor((soft - reservedDescriptors(soft)) / 2));
}

export interface ConnectionCeiling {
  /** For net.Server#maxConnections; Infinity when neither the limit nor --max-connections is known. */
  maxConnections: number;
  /** Start-up warnings: a low limit, or a --max-connections the descriptors cannot hold. */
  warnings: string[];
}

/** `configured`: --max-connections (0: derived from the descriptor limit). */
export function connectionCeiling(configured: number, limit: FileLimit | undefined): ConnectionCeiling {
  const warnings: string[] = [];
  const derived = limit ? ceilingFor(limit.soft) : Number.POSITIVE_INFINITY;
  if (limit && limit.soft < LOW_NOFILE) {
    warnings.push(
      `the open-file limit (RLIMIT_NOFILE) is ${limit.soft}: at most ${derived} connections fit under it; raise it ` +
        `(LimitNOFILE=${LOW_NOFILE} in the systemd unit, \`ulimit -n ${Math.min(limit.hard, LOW_NOFILE)}\` in a shell) ` +
        'for a site of thousands of chargers',
    );
  }
  if (configured === 0) return { maxConnections: derived, warnings };
  if (configured > derived) {
    warnings.push(
      `--max-connections ${configured} is above the ${derived} connections the open-file limit (${limit?.soft}) allows: ` +
        'past that, accept() fails with EMFILE and upstream connects of held chargers fail',
    );
  }
  return { maxConnections: configured, warnings };
}
