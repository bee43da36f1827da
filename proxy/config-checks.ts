// Checks of the proxy's configuration that span several keys, made before anything is opened or bound. Each
// names the keys as the user wrote them (common/config.ts originOf), so `ocpp-edge validate` and a failed start
// point at the same line of the same file.

import { ConfigError, originOf } from '../common/config.js';
import type { ProxyConfig } from './options.js';

/** Two listeners on one port would fail to bind with EADDRINUSE, read as "is nginx still running?". */
export function checkListenerPorts(config: ProxyConfig): void {
  const listeners = [
    { key: 'https-port', port: config.httpsPort, host: config.host },
    { key: 'http-port', port: config.httpPort, host: config.host },
    { key: 'metrics-port', port: config.metricsPort, host: config.metricsHost },
  ];
  for (const [index, listener] of listeners.entries()) {
    if (listener.port === 0) continue; // any free port, chosen by the kernel
    const earlier = listeners
      .slice(0, index)
      .find((other) => other.port === listener.port && sameBindAddress(other.host, listener.host));
    if (!earlier) continue;
    throw new ConfigError(
      originOf(config, listener.key).name,
      `is ${listener.port}, the same port as ${originOf(config, earlier.key).name}: each listener needs its own port`,
    );
  }
}

/** Whether two bind addresses can collide: unset (every interface) collides with everything. */
function sameBindAddress(a: string | undefined, b: string | undefined): boolean {
  const any = (host: string | undefined) => host === undefined || host === '0.0.0.0' || host === '::';
  return any(a) || any(b) || a === b;
}
