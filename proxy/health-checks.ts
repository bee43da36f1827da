// How the pool learns that an upstream is down or back, as Caddy's healthchecks.go:
//
//   active    GET {upstream}/health on a fresh connection every --health-interval, --health-timeout to answer;
//             2xx is healthy (the central system's /health answers 200 also when degraded, e.g. Redis down, and
//             503 when it cannot store anything: then it is rightly taken out). One result flips the state: a
//             charger fleet reconnecting to a dead upstream is worse than one more check on a live one.
//   passive   a connect failure (refused, unreachable, unknown host) marks the upstream down at once, from the
//             exchange that hit it: nothing reached the upstream, so the caller may retry on the next one.
//
// Active checks run only when there is something to choose between (two or more upstreams) and --health-interval
// is not 0. Without them a host marked down by a passive check is put back by its next successful exchange
// (upstream-pool.ts: all-down upstreams are still tried).

import http from 'node:http';
import https from 'node:https';
import type { Logger } from '../common/logger.js';
import type { UpstreamHost, UpstreamPool } from './upstream-pool.js';

const HEALTH_PATH = '/health';
const USER_AGENT = 'ocpp-edge-health-check';

export interface ActiveHealthChecksOptions {
  pool: UpstreamPool;
  /** --health-interval, ms. */
  intervalMs: number;
  /** --health-timeout, ms: for connecting and the complete answer. */
  timeoutMs: number;
  logger: Logger;
}

export interface ProbeResult {
  healthy: boolean;
  /** Why not, for the log line: "HTTP 503", "connect ECONNREFUSED …", "no answer within 2000 ms". */
  reason: string;
}

export class ActiveHealthChecks {
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Map<UpstreamHost, http.ClientRequest>();

  constructor(private readonly options: ActiveHealthChecksOptions) {}

  /** First round now (an upstream dead at start-up is found within --health-timeout), then every interval. */
  start(): void {
    this.options.pool.recoverOnSuccess = false;
    this.checkAll();
    this.timer = setInterval(() => this.checkAll(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const request of this.inFlight.values()) request.destroy();
    this.inFlight.clear();
  }

  private checkAll(): void {
    for (const host of this.options.pool.hosts) {
      // A check still waiting (timeout longer than the interval) is not doubled.
      if (this.inFlight.has(host)) continue;
      const request = probe(host, this.options.timeoutMs, (result) => {
        this.inFlight.delete(host);
        if (this.timer === undefined) return; // stopped meanwhile
        if (result.healthy) this.options.pool.markUp(host, 'active');
        else this.options.pool.markDown(host, 'active', result.reason);
      });
      this.inFlight.set(host, request);
    }
  }
}

/** One GET {upstream}/health on a connection of its own; `done` is called exactly once. */
export function probe(
  upstream: Pick<UpstreamHost, 'url' | 'socketPath'>,
  timeoutMs: number,
  done: (result: ProbeResult) => void,
): http.ClientRequest {
  const base = upstream.url;
  let finished = false;
  const finish = (result: ProbeResult) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    done(result);
  };
  const client = base.protocol === 'https:' ? https : http;
  const request = client.get(
    {
      ...(upstream.socketPath === undefined
        ? {
            protocol: base.protocol,
            hostname: base.hostname.replace(/^\[|\]$/g, ''),
            port: base.port || undefined,
            path: `${base.pathname.replace(/\/$/, '')}${HEALTH_PATH}`,
          }
        : { socketPath: upstream.socketPath, path: HEALTH_PATH }),
      agent: false,
      headers: { 'user-agent': USER_AGENT, connection: 'close' },
    },
    (response) => {
      const status = response.statusCode ?? 0;
      // Read the body to its end so the connection closes cleanly; the status alone decides.
      response.resume();
      response.on('end', () => finish({ healthy: status >= 200 && status < 300, reason: `HTTP ${status}` }));
      response.on('error', (error: Error) => finish({ healthy: false, reason: error.message }));
    },
  );
  const timer = setTimeout(() => {
    finish({ healthy: false, reason: `no answer within ${timeoutMs} ms` });
    request.destroy();
  }, timeoutMs);
  timer.unref();
  request.on('error', (error: Error) => finish({ healthy: false, reason: error.message }));
  return request;
}
