// What `npm start` prints once both processes answer: where everything is, and the token to use, so a developer
// does not have to read the configuration file to find them.

import { loadConfig } from '../common/config.js';
import { backendOptions } from '../backend/options.js';
import { proxyOptions } from '../proxy/options.js';
import { stackDefaults } from '../tools/stack-defaults.js';

export interface DevStack {
  banner: string;
  /** The private /healthz of the proxy and the backend: the banner waits for both. */
  healthUrls: string[];
}

export function devStack(configFile: string): DevStack {
  const proxy = loadConfig(proxyOptions, { flags: { config: configFile }, env: {}, section: 'proxy' });
  const backend = loadConfig(backendOptions, { flags: { config: configFile }, env: {}, section: 'backend' });
  const site = stackDefaults(configFile)!;
  const direct = `http://${loopback(backend.host)}:${backend.port}`;
  const proxyMetrics = `http://${loopback(proxy.metricsHost)}:${proxy.metricsPort}`;
  const backendMetrics = `http://${loopback(backend.metricsHost)}:${backend.metricsPort}`;
  const token = backend.apiToken[0]?.replace(/^(viewer|operator|admin):/i, '');
  const lines = [
    '',
    `ocpp-edge dev: backend and proxy are up (${configFile})`,
    `  Console    ${site.siteUrl}/console/${site.ca ? `   (trust ${site.ca}, or accept the warning)` : ''}`,
    `  REST API   ${site.siteUrl}/api/   docs ${site.siteUrl}/docs   direct ${direct}/api/`,
    `  OCPP       ${site.ocppUrl}/<charger id>   direct ws://${loopback(backend.host)}:${backend.port}/ocpp/<charger id>`,
    `  Metrics    ${proxyMetrics}/metrics (proxy)   ${backendMetrics}/metrics (backend)`,
    token
      ? `  Token      ${token}   e.g. ocpp-edge chargers list --config ${configFile}`
      : '  Token      none: set backend.api-token in the file to use the API',
    '',
  ];
  return { banner: `${lines.join('\n')}\n`, healthUrls: [`${proxyMetrics}/healthz`, `${backendMetrics}/healthz`] };
}

function loopback(host: string | undefined): string {
  if (host === undefined || host === '' || host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
