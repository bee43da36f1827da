// Every setting of `ocpp-edge proxy`, declared once: flags, config file keys (section `proxy:`), OCPP_EDGE_*
// environment variables and defaults all come from this table (see common/config.ts).

import { checks, type ConfigOf, type OptionSpecs } from '../common/config.js';
import { listenBacklogOption } from '../common/listen-backlog.js';
import { LOG_LEVELS, logFormatOption } from '../common/logger.js';
import { limitOptions } from './limits/options.js';
import { defaultTlsGroups, tlsGroupsProblem } from './tls/key-exchange-groups.js';

export const proxyOptions = {
  host: { type: 'string', describe: 'Address the HTTPS and HTTP listeners bind to (default: all interfaces)' },
  'https-port': { ...checks.port, describe: 'HTTPS/WSS listener port', default: 443 },
  'http-port': { ...checks.port, describe: 'HTTP listener port: ACME challenges and redirects to HTTPS', default: 80 },
  upstream: {
    type: 'string',
    array: true,
    describe:
      'Central system base URL, or unix:PATH for its Unix socket on this host (backend --socket); repeat for a pool',
    default: ['http://127.0.0.1:8080'],
    check: checks.upstreamAddress,
  },
  'health-interval': {
    type: 'number',
    min: 0,
    describe:
      'Seconds between active health checks (GET /health) of each upstream when there are several; 0: passive checks only',
    default: 5,
  },
  'health-timeout': {
    type: 'number',
    min: 0.1,
    describe: 'Seconds an upstream has to answer an active health check (2xx: healthy)',
    default: 2,
  },
  domain: {
    type: 'string',
    array: true,
    describe: 'Domain served; repeat for several, the first is the primary',
    check: checks.domainName,
  },
  tls: {
    type: 'string',
    choices: ['files', 'self-signed', 'acme'],
    describe: 'Where certificates come from (default: files when --cert is given, else self-signed)',
  },
  cert: {
    type: 'string',
    array: true,
    describe: 'Certificate chain file (PEM); pairs with --key, repeat for several domains',
  },
  key: { type: 'string', array: true, describe: 'Private key file (PEM) of the --cert at the same position' },
  'tls-ticket-keys': {
    type: 'string',
    describe:
      'File with the TLS session ticket key (48 bytes: raw, hex or base64) shared by every proxy that reads it (PM2 workers, machines behind a balancer), so a session resumes on any of them; created with a random key, mode 0600, when missing. Unset: a random key per process',
  },
  'tls-groups': {
    type: 'string',
    describe:
      "TLS key exchange groups offered, in order, colon-separated (nginx ssl_ecdh_curve). Default: the post-quantum hybrid X25519MLKEM768 first where the runtime's OpenSSL has it (Node 24), then X25519:P-256:P-384",
    default: defaultTlsGroups().join(':'),
    check: (value: string) => tlsGroupsProblem(value.split(':')),
  },
  'tls-compat': {
    type: 'string',
    choices: ['ocpp-legacy'],
    describe:
      'ocpp-legacy: also offer the static-RSA GCM suites TLS_RSA_WITH_AES_128_GCM_SHA256 and TLS_RSA_WITH_AES_256_GCM_SHA384 (TLS 1.2, no forward secrecy) that OCTT TC_086 expects and some chargers offer alone; they need an RSA certificate (serve one beside the ECDSA one). Default: off',
  },
  'client-ca': {
    type: 'string',
    array: true,
    describe:
      'CA certificate file (PEM, may hold several) that charger client certificates are verified against (OCPP security profile 3); repeat for several. Clients are asked for a certificate but never refused for lacking one: the backend decides per charger',
  },
  'client-crl': {
    type: 'string',
    array: true,
    describe:
      'CRL file (PEM) of a --client-ca; a revoked charger certificate is forwarded as FAILED:CERT_REVOKED, also on resumed TLS sessions. Re-read on SIGHUP; repeat for several',
  },
  'plain-ocpp-on-http': {
    type: 'boolean',
    describe:
      'INSECURE: also proxy WebSocket upgrades under /ocpp/ on the HTTP listener (plain ws://), for OCPP security profile 1 chargers (Basic auth without TLS); the backend accepts them only for charge points of profile 1. Everything else on the HTTP listener keeps redirecting to HTTPS',
    default: false,
  },
  'data-dir': {
    type: 'string',
    describe: 'State directory: generated and ACME certificates, ACME account, locks',
    default: './data',
  },
  'log-dir': {
    type: 'string',
    describe:
      'Directory the service manager writes the logs to (PM2: /var/log/ocpp-edge; systemd\'s journal: /var/log/journal); only watched: its filesystem\'s free space is exported (ocpp_edge_filesystem_avail_bytes{purpose="logs"})',
  },
  'metrics-host': {
    type: 'string',
    describe: 'Address of the private metrics listener (/metrics, /healthz)',
    default: '127.0.0.1',
  },
  'metrics-port': { ...checks.port, describe: 'Port of the metrics listener', default: 9464 },
  'ws-idle-timeout': {
    type: 'number',
    min: 1,
    describe: 'Seconds a proxied WebSocket may stay silent in either direction',
    default: 3600,
  },
  'upstream-timeout': {
    type: 'number',
    min: 1,
    describe:
      'Seconds the upstream may stay silent on /api/ and / (nginx proxy_read_timeout/proxy_send_timeout); then 504',
    default: 60,
  },
  'header-timeout': {
    type: 'number',
    min: 1,
    describe: 'Seconds a client has to send complete request headers, from the end of its TLS handshake',
    default: 10,
  },
  'tls-handshake-timeout': {
    type: 'number',
    min: 1,
    describe:
      'Seconds a client has to complete its TLS handshake, from its TCP connect (nginx ssl_handshake_timeout). In a boot storm most of that wait is the proxy working through thousands of handshakes, so it is not shortened with --header-timeout',
    default: 60,
  },
  'listen-backlog': listenBacklogOption,
  'drain-timeout': {
    type: 'number',
    min: 0,
    describe: 'Seconds in-flight requests get to finish on SIGTERM before sockets are closed',
    default: 10,
  },
  'trust-proxy': {
    type: 'boolean',
    describe: "Keep the client's X-Forwarded-For (only behind a trusted L4/L7 balancer)",
    default: false,
  },
  'acme-email': { type: 'string', describe: 'Contact e-mail for the ACME account' },
  'acme-directory': {
    type: 'string',
    describe: 'ACME directory URL',
    default: 'https://acme-v02.api.letsencrypt.org/directory',
    check: checks.httpUrl,
  },
  'acme-staging': {
    type: 'boolean',
    describe: "Use Let's Encrypt staging instead of --acme-directory",
    default: false,
  },
  'acme-profile': { type: 'string', describe: 'ACME certificate profile to request (if the CA offers profiles)' },
  'acme-store': {
    type: 'string',
    choices: ['file', 'redis'],
    describe:
      'Where ACME account, certificates, keys, challenge tokens and the ordering lock live: the data dir, or --redis (shared by proxies on several machines)',
    default: 'file',
  },
  redis: {
    type: 'string',
    describe:
      'Redis URL for --acme-store redis and --bans-store redis (redis:// or rediss:// for TLS; user and password in the URL)',
    env: ['REDIS_URL'],
    check: (value: string) =>
      /^rediss?:\/\//.test(value)
        ? undefined
        : `expects a redis:// or rediss:// URL, got ${JSON.stringify(value.replace(/\/\/[^@/]*@/, '//***@'))}`,
  },
  'acme-key-type': {
    type: 'string',
    array: true,
    choices: ['ecdsa-p256', 'rsa-2048'],
    describe:
      'Key type of ACME certificates; give both (ecdsa-p256 and rsa-2048) for two orders per domain, both served: each client gets the one it can verify',
    default: ['ecdsa-p256'],
  },
  'log-level': { type: 'string', choices: LOG_LEVELS, describe: 'Log level', default: 'info', shared: true },
  'log-format': logFormatOption,
  ...limitOptions,
} as const satisfies OptionSpecs;

export type ProxyConfig = ConfigOf<typeof proxyOptions>;
