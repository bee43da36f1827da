// Every setting of `ocpp-edge backend`, declared once: flags, config file keys (section `backend:`), OCPP_EDGE_*
// environment variables (plus DATABASE_URL and REDIS_URL) and defaults (see common/config.ts).

import { checks, type ConfigOf, type OptionSpecs } from '../common/config.js';
import { listenBacklogOption } from '../common/listen-backlog.js';
import { LOG_LEVELS, logFormatOption } from '../common/logger.js';
import { parseVersionList } from '../common/ocpp-versions.js';
import { ROLES } from './api/roles.js';
import { tokenSpecProblem } from './api/static-tokens.js';
import { checkTrustedProxy } from './security/trusted-proxies.js';

/** An issuer is reached over HTTPS; plain HTTP only on this machine (a provider run for development or tests). */
function issuerUrl(value: string): string | undefined {
  const problem = checks.httpUrl(value);
  if (problem) return problem;
  const { protocol, hostname } = new URL(value);
  const loopback = hostname === 'localhost' || hostname === '[::1]' || hostname.startsWith('127.');
  return protocol === 'https:' || loopback ? undefined : 'must be an https:// URL (http:// only on loopback)';
}

export const backendOptions = {
  host: { type: 'string', describe: 'Address to bind: keep it on loopback behind the proxy', default: '127.0.0.1' },
  port: {
    ...checks.port,
    describe: 'HTTP port for OCPP WebSockets (/ocpp/{id}), the REST API, /health and /docs',
    default: 8080,
  },
  'metrics-host': {
    type: 'string',
    describe: 'Address of the private metrics listener (/metrics, /healthz); never a public one',
    default: '127.0.0.1',
  },
  'metrics-port': { ...checks.port, describe: 'Port of the metrics listener', default: 9465 },
  socket: {
    type: 'string',
    describe:
      'Also listen on this Unix domain socket (the proxy on this host: --upstream unix:PATH, no loopback TCP); --host/--port stay for local tools',
    check: checks.socketPath,
  },
  'listen-backlog': listenBacklogOption,
  database: {
    type: 'string',
    describe: 'sqlite:PATH (embedded) or a postgres:// URL',
    default: 'sqlite:./data/ocpp.db',
    env: ['DATABASE_URL'],
    check: (value: string) =>
      /^(sqlite:|postgres(ql)?:\/\/)/.test(value) ? undefined : 'expects sqlite:PATH or postgres://…',
  },
  'db-pool-size': {
    type: 'number',
    integer: true,
    min: 1,
    max: 1000,
    describe: 'PostgreSQL connection pool size',
    default: 10,
  },
  'db-pool-wait': {
    type: 'number',
    min: 0.1,
    max: 600,
    describe:
      'Seconds a query waits for a free PostgreSQL connection before it fails (the charger gets InternalError or 503): long enough for a boot storm to drain its queue, as a charger waits about 30 s for an answer',
    default: 30,
  },
  redis: {
    type: 'string',
    describe: 'Redis URL for state shared by several instances (presence, command routing)',
    env: ['REDIS_URL'],
  },
  'presence-lease': {
    type: 'number',
    min: 1,
    max: 3600,
    describe:
      "With --redis: seconds after which a crashed instance's chargers stop showing as connected (renewed every third of it)",
    default: 15,
  },
  'api-token': {
    type: 'string',
    array: true,
    secret: true,
    describe:
      'Bearer token accepted by /api/, as ROLE:TOKEN (viewer, operator or admin) or a bare TOKEN (admin); repeat for several',
    check: tokenSpecProblem,
  },
  'oidc-issuer': {
    type: 'string',
    describe: 'OpenID Connect issuer URL (https://; http:// only on loopback): /api/ also accepts its JWTs',
    check: issuerUrl,
  },
  'oidc-audience': {
    type: 'string',
    array: true,
    describe: 'With --oidc-issuer: accepted aud values (repeatable; required)',
  },
  'oidc-role-claim': {
    type: 'string',
    describe: 'With --oidc-issuer: claim (dotted path, e.g. realm_access.roles) holding viewer, operator or admin',
    default: 'role',
  },
  'oidc-default-role': {
    type: 'string',
    choices: ROLES,
    describe: 'With --oidc-issuer: role of a valid token whose role claim names none (default: refused, 403)',
  },
  'oidc-client-id': {
    type: 'string',
    describe: "With --oidc-issuer: the console's client id, for sign-in by authorization code with PKCE",
  },
  'proxy-status-url': {
    type: 'string',
    array: true,
    describe: "The proxies' private metrics listeners, read for the console's Edge page (repeatable)",
    default: ['http://127.0.0.1:9464'],
    check: checks.httpUrl,
  },
  'trusted-proxy': {
    type: 'string',
    array: true,
    describe:
      'Address or CIDR range of a proxy whose X-Forwarded-Proto and client-certificate headers are believed (OCPP security profiles 2 and 3); a request from anywhere else carrying client-certificate headers is refused (403). Repeat for several',
    default: ['127.0.0.1', '::1'],
    check: checkTrustedProxy,
  },
  'cpo-name': {
    type: 'string',
    describe:
      'The CPO name: the O (organizationName) every security profile 3 charger certificate must carry, and that CSRs must carry (OCPP security whitepaper)',
  },
  'cpo-ca-cert': {
    type: 'string',
    describe:
      'CPO CA certificate (PEM; intermediates after it) that signs charger CSRs (SignCertificate) itself and sends CertificateSigned; without it CSRs wait in the API for an operator',
  },
  'cpo-ca-key': { type: 'string', describe: 'Private key (PEM) of --cpo-ca-cert' },
  'cpo-cert-days': {
    type: 'number',
    integer: true,
    min: 1,
    max: 3650,
    describe: 'Validity in days of the charger certificates --cpo-ca-cert signs',
    default: 365,
  },
  'heartbeat-interval': {
    type: 'number',
    integer: true,
    min: 1,
    describe: 'Heartbeat interval (s) given to chargers at boot',
    default: 300,
  },
  registration: {
    type: 'string',
    choices: ['open', 'known'],
    describe: 'open: unknown charge points are registered when they first connect; known: refused (401)',
    default: 'open',
  },
  'require-subprotocol': {
    type: 'boolean',
    describe: 'Refuse (400) chargers that offer no subprotocol (by default they are served as OCPP 1.6)',
    default: false,
  },
  'ocpp-versions': {
    type: 'string',
    describe:
      'OCPP versions served, preferred first when a charger offers several (e.g. 2.0.1,1.6); a charge point can be given its own list through the API',
    default: '1.6,2.0.1',
    check: (value: string) => {
      const versions = parseVersionList(value);
      return typeof versions === 'string' ? versions : undefined;
    },
  },
  'cors-origin': {
    type: 'string',
    array: true,
    describe: 'Origin allowed to call the REST API from a browser; repeat for several',
  },
  'call-timeout': {
    type: 'number',
    min: 1,
    describe: "Seconds to wait for a charger's answer to a command (then 504)",
    default: 30,
  },
  'max-frame-size': {
    type: 'number',
    integer: true,
    min: 1024,
    describe: 'Largest OCPP frame accepted, bytes (larger: close 1009)',
    default: 65536,
  },
  'max-pending-calls': {
    type: 'number',
    integer: true,
    min: 0,
    max: 10000,
    describe: 'Calls from one charger that may wait while one is handled; more get a CALLERROR (flood protection)',
    default: 16,
  },
  'max-bad-messages': {
    type: 'number',
    integer: true,
    min: 1,
    describe: 'Consecutive malformed frames after which a charger is disconnected (1002)',
    default: 10,
  },
  'ocpp-validation': {
    type: 'string',
    choices: ['tolerant', 'strict'],
    describe:
      "Chargers' requests that break their schema: tolerant repairs and records what it can (see docs/INTEROP.md), strict refuses with a CALLERROR; per charger: PUT /api/charge-points/{id}/ocpp-validation",
    default: 'tolerant',
  },
  'message-log-size': {
    type: 'number',
    integer: true,
    min: 0,
    describe: 'OCPP messages kept in the message log (oldest dropped)',
    default: 10000,
  },
  'after-boot-delay': {
    type: 'number',
    min: 0,
    max: 600,
    describe:
      'Seconds after a BootNotification before the charger is brought up to date (configuration read, local list); up to twice this, spread at random so a boot storm is not answered at once',
    default: 2,
  },
  'after-boot-concurrency': {
    type: 'number',
    integer: true,
    min: 1,
    max: 10000,
    describe:
      'Chargers brought up to date at the same time after their boots; the others wait their turn, so in a boot storm the boots are answered first',
    default: 16,
  },
  'local-list-retry-base': {
    type: 'number',
    min: 0.01,
    describe: 'Seconds before a failed local list sync is tried again; doubled per failure (at most an hour)',
    default: 30,
  },
  'group-rebalance-interval': {
    type: 'number',
    min: 0.05,
    max: 600,
    describe:
      "Seconds between looks at every charging group (besides each session start, stop and MeterValues): catches up what other instances heard and takes a dead instance's groups over",
    default: 5,
  },
  'group-lease': {
    type: 'number',
    min: 0.2,
    max: 600,
    describe:
      'With --redis: seconds a charging group stays with the instance deciding for it after that instance stops renewing (crash); renewed at every look',
    default: 15,
  },
  'never-zero-model': {
    type: 'string',
    array: true,
    describe:
      'Charger model (as in its BootNotification, any case) that takes a 0 A/0 W limit as a stop: its paused sessions get --group-pause-current instead; repeat for several',
  },
  'group-pause-current': {
    type: 'number',
    min: 0,
    max: 5.9,
    describe:
      'A per phase given to a paused session of a --never-zero-model charger: below the 6 A an EV charges with, so it suspends (SuspendedEVSE) without ending the transaction',
    default: 1,
  },
  'event-retention': {
    type: 'number',
    min: 0.01,
    describe: 'Hours events are kept for /api/events resume (Last-Event-ID) and finished webhook deliveries in the log',
    default: 72,
  },
  'event-poll-interval': {
    type: 'number',
    min: 0.05,
    max: 60,
    describe: "Seconds between looks for other instances' events (/api/events) and due webhook retries",
    default: 1,
  },
  'event-keepalive': {
    type: 'number',
    min: 1,
    max: 3600,
    describe: 'Seconds between keep-alive comments on an idle /api/events stream',
    default: 15,
  },
  'webhook-timeout': {
    type: 'number',
    min: 1,
    max: 300,
    describe: "Seconds to wait for a webhook receiver's answer",
    default: 10,
  },
  'webhook-max-attempts': {
    type: 'number',
    integer: true,
    min: 1,
    max: 100,
    describe: 'Attempts to deliver a webhook before it is marked failed',
    default: 12,
  },
  'webhook-retry-base': {
    type: 'number',
    min: 0.01,
    describe: 'Seconds before the first webhook retry; doubled for each next one (at most an hour)',
    default: 10,
  },
  'log-level': { type: 'string', choices: LOG_LEVELS, describe: 'Log level', default: 'info', shared: true },
  'log-format': logFormatOption,
} as const satisfies OptionSpecs;

export type BackendConfig = ConfigOf<typeof backendOptions>;
