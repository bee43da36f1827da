// Where the operator commands find the API: the flags and environment first, then what a --config file says the
// backend listens on and which tokens it accepts, so `ocpp-edge chargers list --config config/development.yaml`
// works against `npm start` without copying the token by hand.

import { loadConfig, originOf } from '../../common/config.js';
import { backendOptions } from '../../backend/options.js';
import type { ApiConfig } from './options.js';

export const DEFAULT_API_URL = 'http://127.0.0.1:8080';

export interface ApiConnection {
  url: string;
  token: string | undefined;
  /** Where the token came from, for the 401 message. */
  tokenSource: string;
  timeoutMs: number;
}

const ROLE_RANK: Record<string, number> = { admin: 3, operator: 2, viewer: 1 };

export function apiConnection(config: ApiConfig): ApiConnection {
  const backend = config.configFile
    ? loadConfig(backendOptions, { flags: { config: config.configFile }, env: {}, section: 'backend' })
    : undefined;
  const url = (config.apiUrl ?? (backend ? backendUrl(backend.host, backend.port) : DEFAULT_API_URL)).replace(
    /\/+$/,
    '',
  );
  let token = config.token;
  let tokenSource = token === undefined ? 'none given' : originOf(config, 'token').name;
  if (token === undefined && backend && backend.apiToken.length > 0) {
    token = strongestToken(backend.apiToken);
    tokenSource = `backend.api-token in ${config.configFile}`;
  }
  return { url, token, tokenSource, timeoutMs: config.timeout * 1000 };
}

/** The backend as a client on this host reaches it: a wildcard bind address is reached on loopback. */
function backendUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/** ROLE:TOKEN or a bare TOKEN (admin), as --api-token takes them: the token of the highest role. */
function strongestToken(specs: readonly string[]): string {
  const parsed = specs.map((spec) => {
    const colon = spec.indexOf(':');
    const role = colon > 0 ? spec.slice(0, colon).toLowerCase() : '';
    return role in ROLE_RANK ? { rank: ROLE_RANK[role]!, token: spec.slice(colon + 1) } : { rank: 3, token: spec };
  });
  parsed.sort((a, b) => b.rank - a.rank);
  return parsed[0]!.token;
}
