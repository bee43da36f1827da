// The upstreams of --upstream (repeatable) and what this process knows about each: healthy or not, and how many
// WebSocket sessions it holds. Selection is in selection-policy.ts, the checks that change the health state in
// health-checks.ts; this file keeps the state and answers "which upstream now?".
//
// All down: every upstream is tried anyway (as nginx does when every server is marked failed). The health view may
// be a few seconds stale, and a refused connect costs nothing: when they really are all down the client gets its
// 502 at once, as with a single upstream; when one just came back it is used without waiting for its next check.

import type { Logger } from '../common/logger.js';
import { unixSocketPath } from '../common/unix-socket.js';
import { leastConnections, roundRobin, type Selectable } from './selection-policy.js';

export type HealthCheckKind = 'active' | 'passive';

export class UpstreamHost implements Selectable {
  /** The metric label and log name: the URL as given, without a trailing slash. */
  readonly label: string;
  /** Where to connect: an IPv6 literal without the brackets URL keeps, and the scheme's port when none is given. */
  readonly hostname: string;
  readonly port: number;
  readonly secure: boolean;
  /** The path the URL puts in front of every request: '' for `http://host:port` or `http://host:port/`. */
  readonly basePath: string;
  /** For `unix:PATH`: plain HTTP over that Unix domain socket instead of TCP (hostname and port are unused). */
  readonly socketPath: string | undefined;
  healthy = true;
  sessions = 0;

  constructor(readonly url: URL) {
    this.label = url.href.replace(/\/$/, '');
    // The path as written: URL percent-encodes what it would not keep in a path (`unix:/run/a b.sock`).
    const socketPath = unixSocketPath(url.href);
    this.socketPath = socketPath === undefined ? undefined : decodeURIComponent(socketPath);
    this.hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.secure = url.protocol === 'https:';
    this.port = Number(url.port || (this.secure ? 443 : 80));
    // A socket path is where to connect, not a prefix of the requests' paths.
    this.basePath =
      this.socketPath !== undefined ? '' : url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  }
}

/** What the metrics read at scrape time. */
export interface UpstreamStates {
  readonly hosts: readonly UpstreamHost[];
}

export interface UpstreamPoolOptions {
  targets: readonly URL[];
  logger: Logger;
}

export class UpstreamPool implements UpstreamStates {
  readonly hosts: readonly UpstreamHost[];
  /**
   * Whether a successful exchange puts a host marked down back. Only without active checks (a single upstream,
   * or --health-interval 0): with them, a host that fails /health must stay out even when the all-down fallback
   * still sends it traffic, or its state would flap between each request and each check.
   */
  recoverOnSuccess = true;
  private sessionCursor = 0;
  private requestCursor = 0;
  private readonly logger: Logger;

  constructor(options: UpstreamPoolOptions) {
    if (options.targets.length === 0) throw new Error('at least one upstream is required');
    this.hosts = options.targets.map((url) => new UpstreamHost(url));
    this.logger = options.logger.child({ component: 'upstreams' });
  }

  /** For a new WebSocket session: least connections among the healthy hosts not `tried` yet. */
  forSession(tried?: ReadonlySet<UpstreamHost>): UpstreamHost | undefined {
    const cursor = this.sessionCursor++ % this.hosts.length;
    const chosen = leastConnections(this.hosts, eligibility(tried), cursor);
    return chosen ?? (tried === undefined ? leastConnections(this.hosts, anyHost, cursor) : undefined);
  }

  /** For an HTTP request: round robin among the healthy hosts not `tried` yet. */
  forRequest(tried?: ReadonlySet<UpstreamHost>): UpstreamHost | undefined {
    const cursor = this.requestCursor++ % this.hosts.length;
    const chosen = roundRobin(this.hosts, eligibility(tried), cursor);
    return chosen ?? (tried === undefined ? roundRobin(this.hosts, anyHost, cursor) : undefined);
  }

  markDown(host: UpstreamHost, by: HealthCheckKind, reason: string): void {
    if (!host.healthy) return;
    host.healthy = false;
    const healthy = this.hosts.filter((candidate) => candidate.healthy).length;
    this.logger.warn(
      { upstream: host.label, check: by, reason, healthy, total: this.hosts.length },
      `upstream ${host.label} is down (${by} check): ${reason}`,
    );
  }

  markUp(host: UpstreamHost, by: HealthCheckKind): void {
    if (host.healthy) return;
    host.healthy = true;
    const healthy = this.hosts.filter((candidate) => candidate.healthy).length;
    this.logger.info(
      { upstream: host.label, check: by, healthy, total: this.hosts.length },
      `upstream ${host.label} is back (${by} check)`,
    );
  }

  /** Passive check, success side: an upgrade or a response came back from `host`. */
  succeeded(host: UpstreamHost): void {
    if (!host.healthy && this.recoverOnSuccess) this.markUp(host, 'passive');
  }
}

function isHealthy(host: UpstreamHost): boolean {
  return host.healthy;
}

function anyHost(): boolean {
  return true;
}

function eligibility(tried: ReadonlySet<UpstreamHost> | undefined): (host: UpstreamHost) => boolean {
  return tried === undefined ? isHealthy : (host) => host.healthy && !tried.has(host);
}
