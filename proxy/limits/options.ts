// The settings of proxy/limits, spread into the proxy's option table (proxy/options.ts). The defaults are sized so
// that a boot storm of 10,000 chargers arriving through several addresses (NAT gateways, a carrier's APN) never
// trips them, while one address can neither take the whole connection ceiling nor open connections or guess
// passwords without bound. docs/OPERATIONS.md ("Limits and bans") explains each one and when to change it.

import net from 'node:net';
import type { OptionSpecs } from '../../common/config.js';
import { parseByteSize } from './byte-size.js';

const count = { type: 'number', integer: true, min: 0 } as const;

export const limitOptions = {
  'max-connections': {
    ...count,
    describe:
      'Connections the HTTPS listener holds at most; past it new ones are closed at accept and held ones keep working. 0: derived from the open-file limit (RLIMIT_NOFILE), two descriptors per connection after a reserve',
    default: 0,
  },
  'limit-connections-per-address': {
    ...count,
    describe:
      'Concurrent connections per client address (IPv6: per --limit-ipv6-prefix), like nginx limit_conn; over it a WebSocket upgrade gets 503 and an HTTP request 429, with Retry-After. 0: no limit',
    default: 4096,
  },
  'limit-connection-rate': {
    type: 'number',
    min: 0,
    describe:
      'New connections a second per client address (token bucket refilled at this rate, holding --limit-connection-burst); over it a connection is closed at accept, before its TLS handshake. 0: no limit',
    default: 100,
  },
  'limit-connection-burst': {
    ...count,
    min: 1,
    describe: 'New connections a client address may open at once before --limit-connection-rate applies',
    default: 4096,
  },
  'limit-tls-handshakes-per-address': {
    ...count,
    describe:
      'TLS handshakes in progress per client address; a connection over it is closed at accept (a raw TLS flood). 0: no limit',
    default: 2048,
  },
  'limit-api-rate': {
    type: 'number',
    min: 0,
    describe:
      'Requests a second per client address on /api/ (nginx limit_req with burst and nodelay); over it 429 with Retry-After. 0: no limit',
    default: 50,
  },
  'limit-api-burst': {
    ...count,
    min: 1,
    describe: 'Requests on /api/ a client address may send at once before --limit-api-rate applies',
    default: 200,
  },
  'limit-ipv6-prefix': {
    ...count,
    min: 32,
    max: 128,
    describe: 'IPv6 clients are limited and banned per network of this prefix length (one customer line is a /64)',
    default: 64,
  },
  'max-body-size': {
    type: 'string',
    describe: 'Largest request body forwarded (nginx client_max_body_size), in bytes or with k, m, g; over it 413',
    default: '1m',
    check: (value: string) =>
      parseByteSize(value) === undefined
        ? `expects a size such as 1m or 65536, got ${JSON.stringify(value)}`
        : undefined,
  },
  'ban-failures-per-id': {
    ...count,
    describe:
      'Refused upgrades (401/403) for one charge point id within --ban-window that ban that id (only that id, whatever its address). 0: no id bans',
    default: 5,
  },
  'ban-ids-per-address': {
    ...count,
    describe:
      'Distinct charge point ids refused from one address within --ban-window that ban the address, provided its refusals also outnumber its accepted upgrades --ban-address-ratio times (so one NAT site with a misconfigured charger is never banned). 0: no address bans',
    default: 10,
  },
  'ban-address-ratio': {
    type: 'number',
    min: 0,
    describe: 'How many times an address’s refused upgrades must outnumber its accepted ones before it is banned',
    default: 4,
  },
  'ban-window': { type: 'number', min: 1, describe: 'Seconds over which refused upgrades are counted', default: 600 },
  'ban-time': {
    type: 'number',
    min: 1,
    describe: 'Seconds of a first ban; each further ban of the same id or address doubles it',
    default: 600,
  },
  'ban-max-time': {
    type: 'number',
    min: 1,
    describe: 'Longest ban in seconds; a key with no ban for this long starts again at --ban-time',
    default: 86_400,
  },
  'ban-ignore': {
    type: 'string',
    array: true,
    describe: 'Addresses or CIDR networks never banned by address (fail2ban ignoreip), e.g. your own NAT gateway',
    default: [],
    check: checkNetwork,
  },
  'bans-store': {
    type: 'string',
    choices: ['memory', 'redis'],
    describe: 'Where bans live: this process, or --redis (shared by every proxy and PM2 worker that uses it)',
    default: 'memory',
  },
} as const satisfies OptionSpecs;

function checkNetwork(value: string): string | undefined {
  const [address, prefix] = value.split('/');
  const family = net.isIP(address ?? '');
  if (family === 0) return `expects an address or CIDR network, got ${JSON.stringify(value)}`;
  if (prefix === undefined) return undefined;
  const bits = Number(prefix);
  if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128))
    return `expects a prefix length 0-${family === 4 ? 32 : 128} in ${JSON.stringify(value)}`;
  return undefined;
}
