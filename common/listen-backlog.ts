// The listen backlog: how many connections the kernel keeps, TCP handshake done, until the process accepts them.
//
// In a boot storm thousands of chargers connect within a second while the event loop is busy with TLS handshakes
// and database writes. With Node's default backlog (511, as nginx's) the kernel's accept queue overflows: it drops
// the chargers' SYNs and handshake ACKs, and they retry 1, 3, 7, 15 s later or get reset (docs/PERFORMANCE.md,
// section 13). A queued connection costs the kernel a socket, nothing in the process, so the default is larger.
// Linux silently caps the value at net.core.somaxconn; the cap is reported so it is not a surprise.

import { readFileSync } from 'node:fs';

export const listenBacklogOption = {
  type: 'number',
  integer: true,
  min: 1,
  max: 65535,
  describe:
    "Connections the kernel queues for accepting (listen backlog, nginx `listen … backlog=`); a larger queue keeps a boot storm's chargers from being dropped and retrying. Capped by the kernel's net.core.somaxconn",
  default: 4096,
} as const;

/** The kernel's cap on a listen backlog, where the system tells it (Linux). */
export function kernelBacklogCap(procFile = '/proc/sys/net/core/somaxconn'): number | undefined {
  try {
    const value = Number.parseInt(readFileSync(procFile, 'utf8'), 10);
    return Number.isFinite(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The backlog a listener actually gets, and a warning to log when the kernel lowers the one asked for. */
export function effectiveBacklog(requested: number, cap = kernelBacklogCap()): { backlog: number; warning?: string } {
  if (cap === undefined || requested <= cap) return { backlog: requested };
  return {
    backlog: cap,
    warning:
      `listen-backlog ${requested} is capped at ${cap} by the kernel (net.core.somaxconn); ` +
      `raise it with \`sysctl -w net.core.somaxconn=${requested}\` (and net.ipv4.tcp_max_syn_backlog) to queue more connections in a boot storm`,
  };
}
