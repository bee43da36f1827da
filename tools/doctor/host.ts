// The checks of the host itself: the Node.js release against package.json's engines, jemalloc, the kernel's
// accept and SYN queues against the listen backlog, the file-descriptor limits against the planned fleet, and
// the capability to bind ports below 1024.

import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import satisfies from 'semver/functions/satisfies.js';
import { supportedNodeRange } from '../../bin/node-version.js';
import { readFileLimit, reservedDescriptors } from '../../proxy/limits/fd-limit.js';
import { fail, ok, warn, type Finding } from './result.js';

/** Debian's libjemalloc2, where ecosystem.config.cjs and the systemd units preload it from. */
const JEMALLOC_PATHS = ['/usr/lib/x86_64-linux-gnu/libjemalloc.so.2', '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2'];

export function nodeCheck(version = process.version): Finding {
  const engines = supportedNodeRange();
  if (satisfies(version, engines)) return ok('Node.js', `${version} (supported: ${engines})`);
  return fail(
    'Node.js',
    `${version} is not supported (${engines})`,
    'install Node.js 24 LTS from NodeSource or nodejs.org (docs/MIGRATION.md); Debian ships an older one',
  );
}

export function jemallocCheck(paths = JEMALLOC_PATHS): Finding {
  const found = paths.find((file) => existsSync(file));
  return found
    ? ok('jemalloc', found)
    : fail(
        'jemalloc',
        'libjemalloc.so.2 not installed: glibc malloc fragments under reconnect waves',
        'sudo apt-get install libjemalloc2',
      );
}

/** net.core.somaxconn caps every listen backlog; tcp_max_syn_backlog caps the half-open connections of a storm. */
export function kernelQueueChecks(backlog: number, proc = '/proc'): Finding[] {
  return [
    ['net.core.somaxconn', 'sys/net/core/somaxconn'],
    ['net.ipv4.tcp_max_syn_backlog', 'sys/net/ipv4/tcp_max_syn_backlog'],
  ].map(([name, file]) => {
    const value = readNumber(`${proc}/${file}`);
    if (value === undefined) return warn(name!, 'cannot be read (not Linux?)', 'check the kernel accept queue by hand');
    if (value >= backlog) return ok(name!, `${value} (listen backlog ${backlog})`);
    return warn(
      name!,
      `${value}, below the listen backlog ${backlog}: a boot storm's connections beyond it are dropped and retried`,
      `echo '${name} = ${backlog}' | sudo tee /etc/sysctl.d/60-ocpp-edge.conf && sudo sysctl --system`,
    );
  });
}

/** Where a service's limits come from: its systemd unit, else this shell (PM2 and a manual start inherit it). */
export interface ServiceLimits {
  nofile: number | undefined;
  source: string;
}

export function serviceLimits(unitDir: string, unit: string): ServiceLimits {
  const text = readUnit(unitDir, unit);
  const match = text && /^LimitNOFILE=(\S+)/m.exec(text);
  if (match) {
    const soft = match[1]!.split(':')[0]!;
    return { nofile: soft === 'infinity' ? Infinity : Number(soft), source: `LimitNOFILE in ${unitDir}/${unit}` };
  }
  const own = readFileLimit();
  return {
    nofile: own?.soft,
    source: text
      ? `this shell's ulimit -n (${unitDir}/${unit} sets no LimitNOFILE)`
      : "this shell's ulimit -n, which PM2 inherits",
  };
}

/** A proxy holds two descriptors per tunnel (charger and upstream), the backend one per charger; both a reserve. */
export function fileLimitCheck(process: 'proxy' | 'backend', fleet: number, limits: ServiceLimits): Finding {
  const check = `open files (${process})`;
  const perCharger = process === 'proxy' ? 2 : 1;
  const planned = perCharger * fleet;
  // The proxy's own reserve rule (proxy/limits/fd-limit.ts), applied to what the fleet needs.
  const needed = descriptorsFor(planned);
  const unit = `ocpp-edge-${process}.service`;
  if (limits.nofile === undefined) return warn(check, 'the limit cannot be read', `make sure it is at least ${needed}`);
  const shown = Number.isFinite(limits.nofile) ? String(limits.nofile) : 'unlimited';
  if (limits.nofile >= needed)
    return ok(
      check,
      `${shown} from ${limits.source}; ${fleet} chargers need ${needed} (${perCharger} per charger + reserve)`,
    );
  return fail(
    check,
    `${shown} from ${limits.source}; ${fleet} chargers need ${needed} (${perCharger} per charger + reserve)`,
    limits.source.startsWith('LimitNOFILE')
      ? `set LimitNOFILE=${needed} in ${unit}, then sudo systemctl daemon-reload`
      : `LimitNOFILE=${needed} in ${unit}, or \`ulimit -n ${needed}\` before pm2 start (and in /etc/security/limits.d/)`,
  );
}

export interface LowPortContext {
  ports: number[];
  unitDir: string;
  uid: number;
  nodePath: string;
  proc?: string;
}

/** Binding 80/443 needs CAP_NET_BIND_SERVICE: from the unit, on the node binary (setcap), or root. */
export function lowPortCheck(context: LowPortContext): Finding {
  const check = 'low ports';
  const start = readNumber(`${context.proc ?? '/proc'}/sys/net/ipv4/ip_unprivileged_port_start`) ?? 1024;
  const low = context.ports.filter((port) => port > 0 && port < start);
  if (low.length === 0) return ok(check, `${context.ports.join(', ')}: no privilege needed (below ${start} needs one)`);
  const unit = readUnit(context.unitDir, 'ocpp-edge-proxy.service');
  if (unit && /^AmbientCapabilities=.*CAP_NET_BIND_SERVICE/m.test(unit))
    return ok(
      check,
      `${low.join(', ')}: AmbientCapabilities=CAP_NET_BIND_SERVICE in ${context.unitDir}/ocpp-edge-proxy.service`,
    );
  const capabilities = fileCapabilities(context.nodePath);
  if (capabilities && /cap_net_bind_service/.test(capabilities))
    return ok(check, `${low.join(', ')}: ${context.nodePath} has cap_net_bind_service (setcap)`);
  if (context.uid === 0)
    return warn(
      check,
      `${low.join(', ')}: works only because this runs as root`,
      'run the proxy as its own user with AmbientCapabilities=CAP_NET_BIND_SERVICE (systemd) or setcap on node (PM2)',
    );
  return fail(
    check,
    `${low.join(', ')} need CAP_NET_BIND_SERVICE, which this user (uid ${context.uid}) and ${context.nodePath} lack`,
    `sudo setcap cap_net_bind_service=+ep ${context.nodePath} (PM2), or AmbientCapabilities=CAP_NET_BIND_SERVICE in the unit`,
  );
}

/** The smallest soft limit that leaves `planned` descriptors after the proxy's reserve (proxy/limits/fd-limit.ts). */
function descriptorsFor(planned: number): number {
  // The reserve is 32, then an eighth, then 1024: the smallest candidate of the three regimes that fits.
  const candidates = [planned + 32, Math.ceil((planned * 8) / 7), planned + 1024];
  return Math.min(...candidates.filter((soft) => soft - reservedDescriptors(soft) >= planned));
}

function fileCapabilities(file: string): string | undefined {
  try {
    return execFileSync('getcap', [file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

function readUnit(dir: string, unit: string): string | undefined {
  try {
    return readFileSync(`${dir}/${unit}`, 'utf8');
  } catch {
    return undefined;
  }
}

function readNumber(file: string): number | undefined {
  try {
    const value = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
