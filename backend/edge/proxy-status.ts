// The proxies in front of this backend, as the console's Edge page shows them: each proxy's GET /status on its
// private listener (common/edge-status.ts) is read every SAMPLE_INTERVAL_MS, and the last hour of samples is kept
// in memory, so the page has connection counts and error rates over the last hour without a Prometheus server.

import type { Logger } from '../../common/logger.js';
import { metricSum, type EdgeStatus } from '../../common/edge-status.js';

export const SAMPLE_INTERVAL_MS = 30_000;
const KEPT_MS = 60 * 60_000;
const REQUEST_TIMEOUT_MS = 3_000;

/** One point of the Edge page's charts: a gauge, and counters as increases since the sample before. */
export interface EdgeSample {
  at: string;
  connections: number;
  handshakeErrors: number;
  upgradeFailures: number;
  http5xx: number;
}

/** The proxy's limits and bans (proxy/limits/), from its metrics: what it refuses and whom it has banned. */
export interface EdgeLimits {
  /** The global connection ceiling (from the file-descriptor limit or --max-connections). */
  maxConnections: number;
  bansActive: number;
  bansTotal: number;
  /** Refusals since the proxy started, by reason (connection rate, per-address connections, API rate, ...). */
  refusals: Record<string, number>;
}

export interface ProxyView {
  url: string;
  up: boolean;
  error?: string;
  lastSeen?: string;
  status?: Omit<EdgeStatus, 'metrics'>;
  limits?: EdgeLimits;
  series: EdgeSample[];
}

function limitsOf(status: EdgeStatus): EdgeLimits {
  const refusals: Record<string, number> = {};
  for (const value of status.metrics.find((m) => m.name === 'ocpp_edge_limit_refusals_total')?.values ?? [])
    refusals[String(value.labels.reason)] = (refusals[String(value.labels.reason)] ?? 0) + value.value;
  return {
    maxConnections: metricSum(status.metrics, 'ocpp_edge_max_connections'),
    bansActive: metricSum(status.metrics, 'ocpp_edge_bans_active'),
    bansTotal: metricSum(status.metrics, 'ocpp_edge_bans_total'),
    refusals,
  };
}

interface Totals {
  handshakeErrors: number;
  upgradeFailures: number;
  http5xx: number;
}

class ProxyWatch {
  readonly samples: EdgeSample[] = [];
  latest: EdgeStatus | undefined;
  error: string | undefined;
  lastSeen: Date | undefined;
  private previous: Totals | undefined;

  constructor(readonly url: string) {}

  async sample(now: Date, logger: Logger): Promise<EdgeStatus | undefined> {
    try {
      const response = await fetch(new URL('/status', this.url), { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      if (!response.ok) throw new Error(`GET /status answered ${response.status}`);
      const status = (await response.json()) as EdgeStatus;
      if (this.error !== undefined) logger.info({ proxy: this.url }, 'proxy status readable again');
      this.error = undefined;
      this.latest = status;
      this.lastSeen = now;
      this.record(now, status);
      return status;
    } catch (error) {
      const message = (error as Error).message;
      if (this.error === undefined) logger.warn({ proxy: this.url, err: message }, 'cannot read proxy status');
      this.error = message;
      return undefined;
    }
  }

  private record(now: Date, status: EdgeStatus): void {
    const totals: Totals = {
      handshakeErrors: metricSum(status.metrics, 'ocpp_edge_tls_handshake_errors_total'),
      upgradeFailures: metricSum(status.metrics, 'ocpp_edge_ws_sessions_total', (labels) => labels.result !== 'opened'),
      http5xx: metricSum(status.metrics, 'ocpp_edge_http_requests_total', (labels) => String(labels.status)[0] === '5'),
    };
    // A counter that went down is a restarted proxy: its new total is the increase.
    const increase = (key: keyof Totals) =>
      this.previous && totals[key] >= this.previous[key] ? totals[key] - this.previous[key] : totals[key];
    this.samples.push({
      at: now.toISOString(),
      connections: metricSum(status.metrics, 'ocpp_edge_ws_connections'),
      handshakeErrors: increase('handshakeErrors'),
      upgradeFailures: increase('upgradeFailures'),
      http5xx: increase('http5xx'),
    });
    this.previous = totals;
    while (this.samples.length > 0 && now.getTime() - Date.parse(this.samples[0]!.at) > KEPT_MS) this.samples.shift();
  }
}

export class ProxyStatusWatcher {
  private readonly watches: ProxyWatch[];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    urls: readonly string[],
    private readonly logger: Logger,
  ) {
    this.watches = urls.map((url) => new ProxyWatch(url));
  }

  start(intervalMs = SAMPLE_INTERVAL_MS): void {
    void this.sampleAll();
    this.timer = setInterval(() => void this.sampleAll(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async sampleAll(): Promise<void> {
    const now = new Date();
    await Promise.all(this.watches.map((watch) => watch.sample(now, this.logger)));
  }

  view(): ProxyView[] {
    return this.watches.map((watch) => {
      const { metrics: _metrics, ...status } = watch.latest ?? ({} as Partial<EdgeStatus>);
      return {
        url: watch.url,
        up: watch.error === undefined && watch.latest !== undefined,
        error: watch.error,
        lastSeen: watch.lastSeen?.toISOString(),
        status: watch.latest ? (status as Omit<EdgeStatus, 'metrics'>) : undefined,
        limits: watch.latest ? limitsOf(watch.latest) : undefined,
        series: watch.samples,
      };
    });
  }
}
