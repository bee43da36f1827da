// What a proxy tells about itself on its private listener (GET /status), read by the backend for the operator
// console's Edge page: the one contract between the two processes for it, so both sides are written against it.

/** One metric as prom-client's getMetricsAsJSON gives it: a name and its labelled values. */
export interface MetricSnapshot {
  name: string;
  type: string;
  values: { value: number; labels: Record<string, string | number> }[];
}

export interface EdgeCertificate {
  names: string[];
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  /** files, self-signed, acme, placeholder */
  origin: string;
  /** ACME only: when this process next renews (or retries), ISO time. */
  nextRenewal?: string;
  /** ACME with ARI: the renewal window the CA suggests, ISO times. */
  ariWindow?: { start: string; end: string };
}

export interface EdgeUpstream {
  url: string;
  healthy: boolean;
  sessions: number;
}

export interface EdgeStatus {
  process: 'proxy';
  pid: number;
  startedAt: string;
  node: string;
  certificates: EdgeCertificate[];
  upstreams: EdgeUpstream[];
  /** The proxy's own ocpp_edge_* metrics, at the time of the request. */
  metrics: MetricSnapshot[];
}

/** The sum of a metric's values whose labels match `where` (0 when absent). */
export function metricSum(
  metrics: readonly MetricSnapshot[],
  name: string,
  where: (labels: Record<string, string | number>) => boolean = () => true,
): number {
  const metric = metrics.find((candidate) => candidate.name === name);
  let sum = 0;
  for (const value of metric?.values ?? []) if (where(value.labels)) sum += value.value;
  return sum;
}
