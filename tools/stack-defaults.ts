// What `check` and `simulate` can learn from a --config file that also configures the proxy: where the stack it
// describes listens and which CA a client needs to trust it. Against `npm start` (config/development.yaml) that
// is https://localhost:8443, the redirect on 8000 and the self-signed certificate in data/self-signed/, which a
// user otherwise had to pass by hand as --ca, --http-port and the URL.

import { existsSync } from 'node:fs';
import { loadConfig } from '../common/config.js';
import { proxyOptions } from '../proxy/options.js';

export interface StackDefaults {
  /** https://DOMAIN[:PORT], the site's base URL. */
  siteUrl: string;
  /** wss://DOMAIN[:PORT]/ocpp, the OCPP endpoint's base. */
  ocppUrl: string;
  httpPort: number;
  /** The self-signed certificate the proxy serves (tls: self-signed), when it exists yet. */
  ca: string | undefined;
}

/** From the file's `proxy:` section (and defaults); undefined when there is no file. */
export function stackDefaults(configFile: string | undefined): StackDefaults | undefined {
  if (!configFile) return undefined;
  const proxy = loadConfig(proxyOptions, { flags: { config: configFile }, env: {}, section: 'proxy' });
  const domain = proxy.domain[0] ?? 'localhost';
  const port = proxy.httpsPort === 443 ? '' : `:${proxy.httpsPort}`;
  const selfSigned = proxy.tls === 'self-signed' || (proxy.tls === undefined && proxy.cert.length === 0);
  const base = domain.replace(/\*/g, '_wildcard');
  const caFile = `${proxy.dataDir.replace(/\/$/, '')}/self-signed/${base}.crt`;
  return {
    siteUrl: `https://${domain}${port}`,
    ocppUrl: `wss://${domain}${port}/ocpp`,
    httpPort: proxy.httpPort,
    ca: selfSigned && existsSync(caFile) ? caFile : undefined,
  };
}
