// `ocpp-edge proxy`: the TLS edge in front of the central system, replacing the plan's nginx site.
//
// Lifecycle, as in Caddy's modules: provision (build everything from the configuration and validate it, failing
// with a ConfigError that names the key before anything listens), serve (HTTPS/WSS, the port-80 redirect and
// challenge listener, the private metrics listener), reload (SIGHUP: certificates), stop (SIGTERM: drain).

import type { Server } from 'node:http';
import type { SecureContextOptions } from 'node:tls';
import type { Registry } from 'prom-client';
import type { RunningProcess } from '../common/command.js';
import { ConfigError } from '../common/config.js';
import type { Logger } from '../common/logger.js';
import { effectiveBacklog } from '../common/listen-backlog.js';
import { createRegistry, startMetricsServer } from '../common/metrics.js';
import { registerFilesystemMetrics } from '../common/filesystem-metrics.js';
import { AccessLog } from './access-log.js';
import { edgeStatusReporter } from './edge-status.js';
import { ClientIdentity } from './client-identity.js';
import { createRedirectServer } from './listeners/http-redirect.js';
import { HttpsListener } from './listeners/https.js';
import { listen } from './listeners/listen.js';
import { createEdgeLimits } from './limits/setup.js';
import { createProxyMetrics } from './metrics.js';
import type { ProxyConfig } from './options.js';
import { checkListenerPorts } from './config-checks.js';
import { ReloadableConfigFile, sameList, type CertificatePaths } from './config-reload.js';
import { ActiveHealthChecks } from './health-checks.js';
import { createRoutes } from './routes.js';
import { openAcmeState } from './tls/acme/state.js';
import { MemoryCertificateStore } from './tls/certificate-store.js';
import type { ClientTrust } from './tls/client-trust.js';
import { SHARED_TLS_OPTIONS, tls12Ciphers } from './tls/tls-options.js';
import { checkDomainsCovered, createCertificateSource, servedDomains, tlsMode } from './tls/sources.js';
import { loadTicketKeys } from './tls/ticket-keys.js';
import type { CertificateSource, CertificateStore, ChallengeStore } from './tls/types.js';
import { Upstream } from './upstream.js';
import { UpstreamPool } from './upstream-pool.js';

/** After the drain, how long WebSockets get to exchange close frames before their sockets are destroyed. */
const WEBSOCKET_CLOSE_TIMEOUT_MS = 3000;
/** Last resort so stop() always resolves, even if a socket refuses to close. */
const SERVER_CLOSE_TIMEOUT_MS = 1000;

export interface ProxyHandle extends RunningProcess {
  /** Bound ports (the configuration may ask for port 0). */
  httpsPort: number;
  httpPort: number;
  metricsPort: number;
  certificateStore: CertificateStore;
  challengeStore: ChallengeStore;
  registry: Registry;
  /**
   * SIGHUP: re-read certificates (and certificate paths from the config file, see config-reload.ts); open
   * connections are untouched. Rejects, keeping the current certificates, on failure.
   */
  reload(): Promise<void>;
  /** SIGTERM: stop accepting, finish requests in flight (up to --drain-timeout), close WebSockets with 1001. */
  stop(): Promise<void>;
}

export async function startProxy(config: ProxyConfig, logger: Logger): Promise<ProxyHandle> {
  // Provision and validate.
  checkListenerPorts(config);
  const mode = tlsMode(config);
  const domains = servedDomains(config, mode);
  // Before anything is opened, so an unusable key file fails the start with nothing to undo.
  const ticketKeys = config.tlsTicketKeys === undefined ? undefined : await loadTicketKeys(config.tlsTicketKeys);
  const clientTrust = await loadClientTrust(config);
  const store = new MemoryCertificateStore(domains[0], tlsOptionsWith(config, clientTrust));
  // Redis only serves ACME: with certificates from files (or self-signed) the port-80 listener keeps answering
  // tokens from the data dir, where `ocpp-edge certs renew` on this host would put them.
  const acme = await openAcmeState(mode === 'acme' ? config : { ...config, acmeStore: 'file' }, logger);
  const challenges = acme.challenges;
  const registry = createRegistry('proxy');
  // Where the proxy writes (OcppEdgeDiskSpaceLow): its data dir and, when named, the service manager's log dir.
  registerFilesystemMetrics(registry, [
    { purpose: 'data', path: config.dataDir },
    ...(config.logDir === undefined ? [] : [{ purpose: 'logs', path: config.logDir }]),
  ]);
  const pool = new UpstreamPool({ targets: config.upstream.map((url) => new URL(url)), logger });
  const metrics = createProxyMetrics(registry, store, pool);
  let limits: Awaited<ReturnType<typeof createEdgeLimits>>;
  try {
    limits = await createEdgeLimits(config, registry, logger);
  } catch (error) {
    await acme.close();
    throw error;
  }
  const sourceFor = (sourceConfig: ProxyConfig) =>
    createCertificateSource(mode, {
      config: sourceConfig,
      store,
      challenges,
      acme,
      logger,
      registry,
      onWatchReload: (result) => metrics.configReloads.inc({ result }),
    });
  let source: CertificateSource;
  try {
    source = await sourceFor(config);
    await source.start();
  } catch (error) {
    await acme.close();
    await limits.close();
    throw error;
  }
  let configFile: ReloadableConfigFile | undefined;
  try {
    if (mode === 'files') checkDomainsCovered(domains, store);
    configFile = config.configFile ? new ReloadableConfigFile(config.configFile, config) : undefined;
  } catch (error) {
    await source.stop();
    await acme.close();
    await limits.close();
    throw error;
  }
  let certificatePaths: CertificatePaths = { cert: config.cert, key: config.key };

  const upstream = new Upstream({ pool, logger, metrics });
  // Only with something to choose between; a single upstream is tried whatever its state (upstream-pool.ts).
  const healthChecks =
    pool.hosts.length > 1 && config.healthInterval > 0
      ? new ActiveHealthChecks({
          pool,
          intervalMs: config.healthInterval * 1000,
          timeoutMs: config.healthTimeout * 1000,
          logger,
        })
      : undefined;
  const headerTimeoutMs = config.headerTimeout * 1000;
  const clientIdentity = new ClientIdentity(clientTrust, metrics, logger);
  const routes = createRoutes({ wsIdleTimeout: config.wsIdleTimeout, upstreamTimeout: config.upstreamTimeout });
  const https = new HttpsListener({
    store,
    routes,
    upstream,
    pool,
    metrics,
    accessLog: new AccessLog(logger),
    logger,
    trustProxy: config.trustProxy,
    headerTimeoutMs,
    tlsHandshakeTimeoutMs: config.tlsHandshakeTimeout * 1000,
    ticketKeys,
    clientIdentity,
    limits: limits.edge,
    maxBodyBytes: limits.maxBodyBytes,
  });
  let httpsPort = config.httpsPort;
  const redirect = createRedirectServer({
    challenges,
    domains: () => (domains.length > 0 ? domains : store.list().flatMap((certificate) => certificate.names)),
    httpsPort: () => httpsPort,
    headerTimeoutMs,
    metrics,
    logger,
    limits: limits.edge,
    plainOcpp: config.plainOcppOnHttp ? { routes, websockets: https.websockets } : undefined,
  });

  // Serve.
  let stopping = false;
  const { backlog, warning: backlogWarning } = effectiveBacklog(config.listenBacklog);
  let metricsServer: Server;
  let httpPort: number;
  try {
    httpsPort = await listen(https.server, config.httpsPort, config.host, backlog, 'HTTPS, --https-port');
    httpPort = await listen(redirect, config.httpPort, config.host, backlog, 'HTTP, --http-port');
    metricsServer = await startMetricsServer(registry, {
      host: config.metricsHost,
      port: config.metricsPort,
      healthy: () => !stopping,
      handle: limits.admin,
      status: edgeStatusReporter(registry, store, pool),
    }).catch((error: NodeJS.ErrnoException) =>
      Promise.reject(
        new Error(
          `cannot listen on ${config.metricsHost}:${config.metricsPort} (metrics, --metrics-port): ${error.message}`,
        ),
      ),
    );
  } catch (error) {
    https.server.close();
    redirect.close();
    upstream.close();
    await limits.close();
    await source.stop();
    await acme.close();
    throw error;
  }
  const metricsPort = addressPort(metricsServer) ?? config.metricsPort;
  healthChecks?.start();
  if (backlogWarning) logger.warn(backlogWarning);
  if (config.tlsCompat === 'ocpp-legacy')
    logger.warn(
      store.list().some((certificate) => certificate.keyType === 'rsa')
        ? '--tls-compat ocpp-legacy: the static-RSA suites (no forward secrecy) are offered to TLS 1.2 clients'
        : '--tls-compat ocpp-legacy: the static-RSA suites need an RSA certificate, and none is served: no client can negotiate them',
    );
  if (config.plainOcppOnHttp)
    logger.warn(
      { httpPort },
      `--plain-ocpp-on-http: chargers may connect over plain ws:// on port ${httpPort} (security profile 1: the password travels unencrypted); watch ocpp_edge_plain_ws_connections and migrate them to wss://`,
    );
  for (const warning of limits.warnings) logger.warn(warning);
  logger.info(
    {
      httpsPort,
      httpPort,
      metricsPort,
      listenBacklog: backlog,
      maxConnections: Number.isFinite(limits.maxConnections) ? limits.maxConnections : null,
      tls: mode,
      tlsGroups: config.tlsGroups,
      domains: store.list().flatMap((c) => c.names),
      upstream: config.upstream,
      ...(clientTrust && {
        clientCas: clientTrust.caPems.length,
        clientCrls: clientTrust.crlCount,
        revokedCertificates: clientTrust.revocations,
      }),
    },
    'proxy listening',
  );

  let stopped: Promise<void> | undefined;
  return {
    httpsPort,
    httpPort,
    metricsPort,
    certificateStore: store,
    challengeStore: challenges,
    registry,

    async reload() {
      try {
        const nextTicketKeys =
          config.tlsTicketKeys === undefined ? undefined : await loadTicketKeys(config.tlsTicketKeys);
        if (configFile) {
          const { paths, restartNeeded } = configFile.read();
          if (restartNeeded.length > 0)
            logger.warn(
              { keys: restartNeeded },
              `${config.configFile} changed ${restartNeeded.join(', ')}: restart to apply`,
            );
          if (
            mode === 'files' &&
            configFile.ownsCertificatePaths &&
            !(sameList(paths.cert, certificatePaths.cert) && sameList(paths.key, certificatePaths.key))
          ) {
            // New paths: a new files source; it checks every pair before installing any, so failure keeps the old.
            const next = await sourceFor({ ...config, ...paths });
            await next.start();
            await source.stop();
            source = next;
            certificatePaths = paths;
            logger.info({ cert: paths.cert }, 'certificate paths changed in the config file');
          }
        }
        const nextClientTrust = await loadClientTrust(config);
        await source.reload();
        if (nextClientTrust) {
          clientIdentity.trust = nextClientTrust;
          store.setTlsOptions(tlsOptionsWith(config, nextClientTrust));
        }
        if (mode === 'files') checkDomainsCovered(domains, store);
        if (nextTicketKeys) https.server.setTicketKeys(nextTicketKeys);
        metrics.configReloads.inc({ result: 'success' });
        logger.info(
          {
            certificates: store
              .list()
              .map((c) => ({ names: c.names, serialNumber: c.serialNumber, notAfter: c.notAfter })),
          },
          'reloaded',
        );
      } catch (error) {
        metrics.configReloads.inc({ result: 'failure' });
        logger.error({ err: error }, `reload failed, keeping the current certificates: ${(error as Error).message}`);
        throw error;
      }
    },

    stop() {
      stopped ??= (async () => {
        stopping = true;
        const started = Date.now();
        const allClosed = Promise.all([closeServer(https.server), closeServer(redirect), closeServer(metricsServer)]);
        redirect.closeIdleConnections();
        await Promise.all([
          https.drain(config.drainTimeout * 1000),
          https.websockets.closeAll(WEBSOCKET_CLOSE_TIMEOUT_MS),
        ]);
        redirect.closeAllConnections();
        metricsServer.closeAllConnections();
        await source.stop();
        await acme.close();
        await limits.close();
        healthChecks?.stop();
        // Only now drop the upstream connections: under PM2 cluster mode the primary may still hand this worker a
        // connection after server.close(), and its request needs an upstream socket to finish.
        await Promise.race([allClosed, new Promise((resolve) => setTimeout(resolve, SERVER_CLOSE_TIMEOUT_MS).unref())]);
        upstream.close();
        logger.info({ durationMs: Date.now() - started }, 'proxy stopped');
      })();
      return stopped;
    },
  };
}

/** --client-ca and --client-crl, read (again on SIGHUP); @peculiar/x509 is only loaded when they are given. */
async function loadClientTrust(config: ProxyConfig): Promise<ClientTrust | undefined> {
  if (config.clientCa.length === 0) {
    if (config.clientCrl.length > 0)
      throw new ConfigError('client-crl', 'needs --client-ca (the CAs the CRLs belong to)');
    return undefined;
  }
  const { ClientTrust } = await import('./tls/client-trust.js');
  return ClientTrust.load(config.clientCa, config.clientCrl);
}

/** The options of every secure context: SHARED_TLS_OPTIONS, the --tls-groups, the CAs client certificates chain to. */
function tlsOptionsWith(config: ProxyConfig, clientTrust: ClientTrust | undefined): SecureContextOptions {
  const options = { ...SHARED_TLS_OPTIONS, ciphers: tls12Ciphers(config.tlsCompat), ecdhCurve: config.tlsGroups };
  return clientTrust ? { ...options, ca: clientTrust.caPems } : options;
}

function addressPort(server: Server): number | undefined {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : undefined;
}

/** Stops accepting; resolves once every connection of the server has ended. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
