// What SIGHUP (systemctl reload, pm2 sendSignal SIGHUP) changes in a running backend. The configuration is loaded
// again from the same flags, environment and file; the settings below are applied without dropping a charger,
// and every other change is logged as needing a restart rather than half-applied (as the proxy does for its
// config file, proxy/config-reload.ts).

import { camelCase } from '../common/config.js';
import type { BackendConfig } from './options.js';

/** Applied in place: tokens and CORS origins from the next request, the log level at once, the heartbeat
 * interval from the next BootNotification, the registration mode from the next connection. */
export const RELOADABLE_KEYS = ['api-token', 'log-level', 'cors-origin', 'heartbeat-interval', 'registration'] as const;

export interface ReloadPlan {
  /** Reloadable keys whose value changed. */
  apply: string[];
  /** Other keys whose value changed: they take effect at the next restart. */
  restartNeeded: string[];
}

export function planReload(running: BackendConfig, next: BackendConfig): ReloadPlan {
  const apply: string[] = [];
  const restartNeeded: string[] = [];
  const keys = Object.keys(next).filter((key) => key !== 'configFile');
  for (const key of keys) {
    const before = (running as unknown as Record<string, unknown>)[key];
    const after = (next as unknown as Record<string, unknown>)[key];
    if (JSON.stringify(before) === JSON.stringify(after)) continue;
    const kebab = key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
    if ((RELOADABLE_KEYS as readonly string[]).some((reloadable) => camelCase(reloadable) === key)) apply.push(kebab);
    else restartNeeded.push(kebab);
  }
  return { apply, restartNeeded };
}
