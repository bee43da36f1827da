// Every setting of `ocpp-edge check`, declared once: flags, config file keys (section `check:`), OCPP_EDGE_*
// environment variables and defaults all come from this table (see common/config.ts). The URL may also be given
// as the command's positional argument.

import { checks, type ConfigOf, type OptionSpecs } from '../../common/config.js';

export const checkOptions = {
  url: {
    type: 'string',
    describe: 'Base URL of the site to check, e.g. https://yourdomain.com (or the positional argument)',
    check: checkSiteUrl,
  },
  // Checking the new server before the DNS switch (docs/MIGRATION.md) needs its address while the name still
  // points at the old one; like curl --resolve, SNI, Host and the certificate name still use the URL's host.
  address: {
    type: 'string',
    describe: "Connect to this address instead of resolving the URL's host (a new server before the DNS switch)",
  },
  'http-port': { ...checks.port, min: 1, describe: 'Port where the HTTP → HTTPS redirect is probed', default: 80 },
  'charger-id': {
    type: 'string',
    describe: 'Charge point id of the test charger (BootNotification, Heartbeat)',
    default: 'OCPP-EDGE-CHECK',
    check: checkChargerId,
  },
  password: {
    type: 'string',
    secret: true,
    describe: 'HTTP Basic password of the test charger (security profile 1/2)',
  },
  ca: { type: 'string', describe: 'CA certificate file (PEM) trusted besides the system CAs, for a private CA' },
  'ocpp-path': {
    type: 'string',
    describe: 'Path of the OCPP endpoint; the charger id is appended',
    default: '/ocpp',
    check: checkPath,
  },
  'health-path': {
    type: 'string',
    describe: 'Health endpoint, also the request whose security headers are checked',
    default: '/health',
    check: checkPath,
  },
  // The critical alert in config/alerts.yml fires at 7 days: the check agrees with it.
  'min-days': {
    type: 'number',
    min: 0,
    describe: 'Fewest days the certificate may have left before its check fails',
    default: 7,
  },
  timeout: {
    type: 'number',
    min: 0.1,
    max: 300,
    describe: 'Seconds each step may take before it counts as failed',
    default: 10,
  },
  json: { type: 'boolean', describe: 'Print the results as JSON on stdout instead of a table', default: false },
} as const satisfies OptionSpecs;

export type CheckConfig = ConfigOf<typeof checkOptions>;

function checkSiteUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `expects a URL, got ${JSON.stringify(value)}`;
  }
  if (url.protocol !== 'https:') return `expects an https:// URL, got ${JSON.stringify(value)}`;
  if (url.pathname !== '/' || url.search || url.hash || url.username)
    return "expects the site's base URL (scheme, host and port only), e.g. https://yourdomain.com";
  return undefined;
}

function checkChargerId(value: string): string | undefined {
  // The id is a URL path segment and the HTTP Basic user name, where ':' would end the user name.
  return /^[A-Za-z0-9._*~-]{1,48}$/.test(value)
    ? undefined
    : "may hold only letters, digits and . _ * ~ - (at most 48, OCPP's identity limit)";
}

function checkPath(value: string): string | undefined {
  return /^\/[^\s?#]*$/.test(value) ? undefined : `expects a path starting with /, got ${JSON.stringify(value)}`;
}
