// Gathers what `ocpp-edge status` shows, from the private listeners only (the proxy's GET /status and /healthz,
// the backend's /metrics and /healthz) plus, when a token is at hand, the running sessions from the REST API.
// Error rates are the increase of the error counters between two readings `sample` seconds apart: a status that
// needs no Prometheus server, for "is it failing right now?".

import type { EdgeStatus } from '../../common/edge-status.js';
import { ApiClient, ApiError } from '../operator/api-client.js';
import type { ApiConnection } from '../operator/connection.js';
import { parsePrometheusText, sumOf, type Sample } from './prometheus-text.js';

export interface ProcessState {
  url: string;
  up: boolean;
  error?: string;
  pid?: number;
  startedAt?: string;
  version?: string;
  node?: string;
}

export interface CertificateState {
  names: string[];
  origin: string;
  notAfter: string;
  daysLeft: number;
}

export interface ErrorCount {
  process: 'proxy' | 'backend';
  what: string;
  /** Since the process started. */
  total: number;
  /** Increase over the sample window; undefined without one (or when the process was not readable twice). */
  recent?: number;
}

export interface StatusReport {
  at: string;
  proxy: ProcessState;
  backend: ProcessState;
  certificates: CertificateState[];
  upstreams: { url: string; healthy: boolean; sessions: number }[];
  /** Charge points with an OCPP WebSocket to the backend, and WebSocket sessions through the proxy. */
  chargers: { connected?: number; proxySessions?: number };
  sessions: { running?: number; error?: string };
  errors: { windowSeconds: number; counts: ErrorCount[] };
  problems: string[];
}

export interface StatusSources {
  proxyUrl: string;
  backendUrl: string;
  sampleSeconds: number;
  minDays: number;
  api: ApiConnection;
}

const REQUEST_TIMEOUT_MS = 3000;

/** The error counters shown, each read from its process's samples. */
const ERROR_COUNTERS: ReadonlyArray<{ process: 'proxy' | 'backend'; what: string; read: (s: Sample[]) => number }> = [
  {
    process: 'proxy',
    what: 'HTTP 5xx',
    read: (s) => sumOf(s, 'ocpp_edge_http_requests_total', (l) => l.status?.startsWith('5') ?? false),
  },
  { process: 'proxy', what: 'TLS handshake errors', read: (s) => sumOf(s, 'ocpp_edge_tls_handshake_errors_total') },
  {
    process: 'proxy',
    what: 'WebSocket upgrades failed',
    read: (s) => sumOf(s, 'ocpp_edge_ws_sessions_total', (l) => l.result !== 'opened'),
  },
  { process: 'proxy', what: 'upstream errors', read: (s) => sumOf(s, 'ocpp_edge_upstream_errors_total') },
  {
    process: 'backend',
    what: 'HTTP 5xx',
    read: (s) => sumOf(s, 'ocpp_edge_http_requests_total', (l) => l.status?.startsWith('5') ?? false),
  },
  {
    process: 'backend',
    what: 'OCPP schema violations',
    read: (s) => sumOf(s, 'ocpp_edge_ocpp_schema_violations_total'),
  },
];

export async function collectStatus(sources: StatusSources): Promise<StatusReport> {
  const [first, sessions] = await Promise.all([readBoth(sources), runningSessions(sources.api)]);
  let second: Readings | undefined;
  if (sources.sampleSeconds > 0 && (first.proxySamples || first.backendSamples)) {
    await new Promise((resolve) => setTimeout(resolve, sources.sampleSeconds * 1000));
    second = await readBoth(sources);
  }
  const latest = second ?? first;
  const now = new Date();
  const certificates = (latest.edge?.certificates ?? []).map((certificate) => ({
    names: certificate.names,
    origin: certificate.origin,
    notAfter: certificate.notAfter,
    daysLeft: Math.floor((Date.parse(certificate.notAfter) - now.getTime()) / 86_400_000),
  }));
  const counts: ErrorCount[] = [];
  for (const counter of ERROR_COUNTERS) {
    const key = counter.process === 'proxy' ? 'proxySamples' : 'backendSamples';
    const last = latest[key];
    if (!last) continue;
    const before = second ? first[key] : undefined;
    const total = counter.read(last);
    // A counter that went down is a restarted process: everything it counted is recent.
    const recent = before && (total >= counter.read(before) ? total - counter.read(before) : total);
    counts.push({ process: counter.process, what: counter.what, total, recent });
  }
  const report: StatusReport = {
    at: now.toISOString(),
    proxy: latest.proxy,
    backend: latest.backend,
    certificates,
    upstreams: latest.edge?.upstreams ?? [],
    chargers: {
      connected: latest.backendSamples && sumOf(latest.backendSamples, 'ocpp_edge_connected_charge_points'),
      proxySessions: latest.proxySamples && sumOf(latest.proxySamples, 'ocpp_edge_ws_connections'),
    },
    sessions,
    errors: { windowSeconds: second ? sources.sampleSeconds : 0, counts },
    problems: [],
  };
  report.problems = problemsOf(report, sources.minDays);
  return report;
}

function problemsOf(report: StatusReport, minDays: number): string[] {
  const problems: string[] = [];
  if (!report.proxy.up) problems.push(`proxy not answering at ${report.proxy.url}: ${report.proxy.error}`);
  if (!report.backend.up) problems.push(`backend not answering at ${report.backend.url}: ${report.backend.error}`);
  for (const certificate of report.certificates)
    if (certificate.daysLeft < minDays)
      problems.push(`certificate for ${certificate.names.join(', ')} has ${certificate.daysLeft} days left`);
  for (const upstream of report.upstreams)
    if (!upstream.healthy) problems.push(`upstream ${upstream.url} is unhealthy (the proxy's health checks fail)`);
  return problems;
}

interface Readings {
  proxy: ProcessState;
  backend: ProcessState;
  edge?: EdgeStatus;
  proxySamples?: Sample[];
  backendSamples?: Sample[];
}

async function readBoth(sources: StatusSources): Promise<Readings> {
  const [proxy, backend] = await Promise.all([readProxy(sources.proxyUrl), readBackend(sources.backendUrl)]);
  return { ...proxy, ...backend };
}

async function readProxy(url: string): Promise<Pick<Readings, 'proxy' | 'edge' | 'proxySamples'>> {
  try {
    const edge = (await get(url, '/status').then((response) => response.json())) as EdgeStatus;
    const healthy = (await get(url, '/healthz', true)).ok;
    const proxySamples = edge.metrics.flatMap((metric) =>
      metric.values.map((value) => ({
        name: metric.name,
        labels: Object.fromEntries(Object.entries(value.labels).map(([k, v]) => [k, String(v)])),
        value: value.value,
      })),
    );
    return {
      proxy: {
        url,
        up: healthy,
        ...(healthy ? {} : { error: '/healthz answers unhealthy' }),
        pid: edge.pid,
        startedAt: edge.startedAt,
        version: buildVersion(proxySamples),
        node: edge.node,
      },
      edge,
      proxySamples,
    };
  } catch (error) {
    return { proxy: { url, up: false, error: reason(error) } };
  }
}

async function readBackend(url: string): Promise<Pick<Readings, 'backend' | 'backendSamples'>> {
  try {
    const backendSamples = parsePrometheusText(await get(url, '/metrics').then((response) => response.text()));
    const healthy = (await get(url, '/healthz', true)).ok;
    const started = sumOf(backendSamples, 'process_start_time_seconds');
    const build = backendSamples.find((sample) => sample.name === 'ocpp_edge_build_info');
    return {
      backend: {
        url,
        up: healthy,
        ...(healthy ? {} : { error: '/healthz answers unhealthy' }),
        startedAt: started > 0 ? new Date(started * 1000).toISOString() : undefined,
        version: build?.labels.version,
        node: build?.labels.node && `v${build.labels.node}`,
      },
      backendSamples,
    };
  } catch (error) {
    return { backend: { url, up: false, error: reason(error) } };
  }
}

async function runningSessions(api: ApiConnection): Promise<StatusReport['sessions']> {
  if (api.token === undefined) return { error: 'no API token (--token, OCPP_EDGE_CLI_TOKEN or --config)' };
  try {
    let running = 0;
    for await (const _ of new ApiClient(api).pages('/api/transactions', { active: true, limit: 1000 })) running++;
    return { running };
  } catch (error) {
    return { error: error instanceof ApiError ? error.message : reason(error) };
  }
}

function buildVersion(samples: Sample[]): string | undefined {
  return samples.find((sample) => sample.name === 'ocpp_edge_build_info')?.labels.version;
}

async function get(base: string, path: string, anyStatus = false): Promise<Response> {
  const response = await fetch(new URL(path, base), { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (!anyStatus && !response.ok) throw new Error(`GET ${path} answered ${response.status}`);
  return response;
}

function reason(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  if ((error as Error).name === 'TimeoutError') return 'no answer in time';
  return cause?.code ?? (error as Error).message;
}
