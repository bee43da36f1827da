// Prometheus metrics shared by both processes: one registry per process with the default process metrics,
// and a small listener that serves it on its own (private) address.

import { packageManifest } from './package-manifest.js';
import http from 'node:http';
import { once } from 'node:events';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * How often the event-loop delay is sampled (prom-client's eventLoopMonitoringPrecision). Its default of 10 ms
 * woke an idle proxy 100 times a second for this alone (docs/PERFORMANCE.md, "What is left"); at 100 ms it wakes
 * 10 times. A stall is still caught whatever its length: the sample after it arrives late by the whole stall.
 * The nodejs_eventloop_lag_{min,mean,p50,p90,p99,max}_seconds gauges are intervals between samples, so they read
 * this interval plus the delay: about 0.1 s when idle (0.01 s before). No rule in config/alerts.yml uses them;
 * one that does must add the 0.1 s. nodejs_eventloop_lag_seconds (measured at each scrape) does not include it.
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

export function createRegistry(processName: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ process: processName });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  // The Prometheus convention for what is running (like prometheus_build_info): always 1, the facts in labels, so
  // a dashboard or an alert can tell which release, Node and OpenSSL each process runs.
  new Gauge({
    name: 'ocpp_edge_build_info',
    help: 'Always 1: the ocpp-edge version, Node.js version and OpenSSL version of this process',
    labelNames: ['version', 'node', 'openssl'],
    registers: [registry],
  }).set({ version: packageManifest().version, node: process.versions.node, openssl: process.versions.openssl }, 1);
  return registry;
}

export interface MetricsServerOptions {
  host: string;
  port: number;
  /** Answers GET /healthz; a false result gives 503. */
  healthy?: () => boolean;
  /**
   * Answers GET /status with this JSON: what the process serves right now (the proxy: certificates, upstreams),
   * for the operator console, which reads it from this private listener.
   */
  status?: () => Promise<unknown>;
  /** More private endpoints (the proxy's /bans): true when it answered the request. */
  handle?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
}

/** Serves GET /metrics, /healthz and /status; anything else is 404. Never bind this to a public address. */
export async function startMetricsServer(registry: Registry, options: MetricsServerOptions): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (options.handle?.(req, res)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (url === '/metrics') {
      registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
        (error: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${error.message}\n`),
      );
    } else if (url === '/healthz') {
      const ok = options.healthy ? options.healthy() : true;
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: ok ? 'ok' : 'unhealthy' }));
    } else if (url === '/status' && options.status) {
      options.status().then(
        (status) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(status)),
        (error: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${error.message}\n`),
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  server.listen(options.port, options.host);
  await once(server, 'listening');
  return server;
}
