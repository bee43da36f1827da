// Every setting of `ocpp-edge simulate`, declared once: flags, config file keys (section `simulate:`), OCPP_EDGE_*
// environment variables and defaults all come from this table (see common/config.ts). The same table gives the
// defaults of runSimulation() when the benchmark uses the engine in-process (see simulationOptions below).

import { loadConfig, type ConfigOf, type OptionSpecs } from '../../common/config.js';
import { LOG_LEVELS } from '../../common/logger.js';
import { checkOcppMix } from './ocpp-mix.js';
import { checkQuirks, QUIRKS } from './quirks.js';

export const simulateOptions = {
  url: {
    type: 'string',
    describe: 'Central system base URL, ws:// or wss://; each charger appends /<its id>',
    default: 'ws://127.0.0.1:8080/ocpp',
    check: checkWebSocketUrl,
  },
  // One process opens one TCP connection per charger from one source address: about 28,000 ephemeral ports per
  // destination on Linux, so more than 50,000 would need several processes anyway.
  chargers: {
    type: 'number',
    integer: true,
    min: 1,
    max: 50000,
    describe: 'Number of simulated charge points',
    default: 10,
  },
  ocpp: {
    type: 'string',
    describe:
      'OCPP version of the chargers: 1.6, 2.0.1, or a mix with shares adding up to 100 (1.6:50%,2.0.1:50%; without shares: even)',
    default: '1.6',
    check: checkOcppMix,
  },
  ramp: { type: 'number', min: 0.1, max: 100000, describe: 'Chargers started per second', default: 50 },
  // Up to a week: long enough for the migration plan's 24-hour stability test, short enough to always end.
  duration: {
    type: 'number',
    min: 1,
    max: 604800,
    describe: 'Seconds the run lasts from its start (ramp included); then every charger disconnects',
    default: 60,
  },
  ca: { type: 'string', describe: 'CA certificate file (PEM) trusted for wss:// besides the system CAs' },
  insecure: {
    type: 'boolean',
    describe: 'Do not verify the server certificate (self-signed development setups only)',
    default: false,
  },
  password: {
    type: 'string',
    secret: true,
    describe: 'HTTP Basic password (security profile 1/2); the user name is the charger id',
  },
  'security-profile': {
    type: 'number',
    integer: true,
    min: 0,
    max: 3,
    describe:
      'OCPP security profile of every charger: 0 none, 1 --password, 2 --password over wss://, 3 --client-cert/--client-key over wss://',
    default: 0,
  },
  'client-cert': {
    type: 'string',
    describe:
      'Client certificate (PEM) for security profile 3; "{id}" in the path is replaced by each charger\'s id (its CN must be the id)',
  },
  'client-key': {
    type: 'string',
    describe: 'Private key (PEM) of --client-cert; "{id}" is replaced as there',
  },
  'id-prefix': {
    type: 'string',
    describe: 'Charger ids are this prefix and a zero-padded number: SIM00001, SIM00002...',
    default: 'SIM',
    check: checkIdPrefix,
  },
  heartbeat: {
    type: 'number',
    min: 1,
    describe: 'Heartbeat every this many seconds, whatever interval the central system gives',
  },
  transactions: {
    type: 'boolean',
    describe: 'Run charging sessions: Authorize, StartTransaction, MeterValues, StopTransaction, repeated',
    default: false,
  },
  'meter-interval': {
    type: 'number',
    min: 0.1,
    describe: 'Seconds between MeterValues during a transaction (MeterValueSampleInterval)',
    default: 10,
  },
  'transaction-duration': {
    type: 'number',
    min: 0.1,
    describe: 'Seconds a charging session lasts before StopTransaction',
    default: 60,
  },
  'transaction-pause': {
    type: 'number',
    min: 0,
    describe: 'Seconds an idle charger waits (±50% at random) before its next session',
    default: 10,
  },
  'id-tag': {
    type: 'string',
    describe: 'idTag presented for sessions (default: the charger id, cut to 20 characters)',
  },
  quirks: {
    type: 'string',
    describe: `Chargers behave like real models: NAME[,NAME] of ${Object.keys(QUIRKS).join(', ')} (docs/INTEROP.md)`,
    check: checkQuirks,
  },
  'call-timeout': {
    type: 'number',
    min: 0.1,
    describe: 'Seconds to wait for the central system to answer a call (and for a connection to open)',
    default: 30,
  },
  'ping-interval': {
    type: 'number',
    min: 0,
    describe: 'Seconds between WebSocket pings (WebSocketPingInterval); 0 disables them',
    default: 60,
  },
  'backoff-initial': {
    type: 'number',
    min: 0.05,
    describe: 'Seconds before the first reconnect attempt; doubles per failure, randomised',
    default: 1,
  },
  'backoff-max': { type: 'number', min: 0.05, describe: 'Ceiling of the reconnect delay, seconds', default: 60 },
  json: { type: 'boolean', describe: 'Print the final report as JSON on stdout instead of a table', default: false },
  'progress-interval': {
    type: 'number',
    min: 0.1,
    describe: 'Seconds between progress lines when stderr is not a terminal',
    default: 10,
  },
  'log-level': { type: 'string', choices: LOG_LEVELS, describe: 'Log level (logs go to stderr)', default: 'warn' },
} as const satisfies OptionSpecs;

export type SimulateConfig = ConfigOf<typeof simulateOptions>;

/** What the engine needs: the command's configuration without what only concerns the terminal. */
export type SimulationOptions = Omit<SimulateConfig, 'configFile' | 'json' | 'progressInterval' | 'logLevel'>;

/**
 * Complete, validated simulation options from a partial set (camelCase keys), defaults taken from the table above;
 * throws ConfigError naming the option. No environment or config file is read: a library call is explicit.
 */
export function simulationOptions(partial: Partial<SimulationOptions>): SimulationOptions {
  const flags = Object.fromEntries(Object.entries(partial).filter(([, value]) => value !== undefined));
  const {
    configFile: _configFile,
    json: _json,
    progressInterval: _progress,
    logLevel: _logLevel,
    ...options
  } = loadConfig(simulateOptions, {
    flags,
    env: {},
    section: 'simulate',
  });
  return options;
}

function checkWebSocketUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `expects a URL, got ${JSON.stringify(value)}`;
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:')
    return `expects a ws:// or wss:// URL, got ${JSON.stringify(value)}`;
  if (url.search || url.hash) return 'must not have a query or fragment: the charger id is appended to the path';
  return undefined;
}

function checkIdPrefix(value: string): string | undefined {
  // The id becomes a URL path segment and the HTTP Basic user name, where ':' would end the user name.
  return /^[A-Za-z0-9._-]{1,40}$/.test(value)
    ? undefined
    : 'may hold only letters, digits, ".", "_" and "-" (at most 40)';
}
