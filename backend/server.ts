// `ocpp-edge backend`: the OCPP 1.6-J central system. One HTTP server carries the charger WebSockets at
// /ocpp/{chargePointId}, the REST API under /api/, OpenAPI at /docs and /health; a second, private one (like the
// proxy's) serves /metrics and /healthz on --metrics-host/--metrics-port.
//
// Lifecycle: open storage and migrate (fail early, before listening), build the OCPP endpoint and the API,
// listen; stop() closes chargers with 1001, then HTTP, then flushes the message log and closes storage.

import { packageManifest } from '../common/package-manifest.js';
import { registerFilesystemMetrics } from '../common/filesystem-metrics.js';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import type { ProcessLifecycle, RunningProcess } from '../common/command.js';
import { ConfigError, redactUrlPassword } from '../common/config.js';
import { CONNECTION_HEADER_TOLERANCE, promoteBeforeRequestListeners } from '../common/connectionless-upgrade.js';
import { effectiveBacklog } from '../common/listen-backlog.js';
import { startMetricsServer } from '../common/metrics.js';
import type { Logger } from '../common/logger.js';
import { listenOnUnixSocket, UNIX_SCHEME } from '../common/unix-socket.js';
import { parseVersionList, type OcppVersion } from '../common/ocpp-versions.js';
import { buildApi, type ApiSettings } from './api/app.js';
import { registerGroupCommitMetrics } from './store/group-commit-metrics.js';
import { OidcVerifier } from './api/oidc.js';
import type { Role } from './api/roles.js';
import { ProxyStatusWatcher } from './edge/proxy-status.js';
import { ClusterConnections } from './cluster/cluster-connections.js';
import { EventBus } from './events/bus.js';
import { createFeatures, type Features } from './features.js';
import { createGroupLease } from './smart-charging/lease-choice.js';
import { EventsOut } from './events/events-out.js';
import { createBackendMetrics, type BackendMetrics } from './metrics.js';
import { CentralSystem, refuseUpgrade } from './ocpp/central-system.js';
import { LocalConnections, type ConnectionRegistry } from './ocpp/connections.js';
import { MessageLog } from './ocpp/message-log.js';
import { ValidationModes } from './ocpp/validation-modes.js';
import type { ValidationMode } from './ocpp/validator.js';
import { ObservedConnections } from './ocpp/observed-connections.js';
import type { BackendConfig } from './options.js';
import { planReload } from './reload.js';
import { CertificateAuthority } from './security/certificate-signing.js';
import { TrustedProxies } from './security/trusted-proxies.js';
import { ProfileMigrations } from './security/profile-migration.js';
import { Store } from './store/store.js';

export interface BackendHandle extends RunningProcess {
  /** The bound port (the configuration may ask for 0). */
  port: number;
  /** --socket: the Unix socket path the backend also listens on. */
  socketPath: string | undefined;
  /** The bound port of the private metrics listener. */
  metricsPort: number;
  store: Store;
  connections: ConnectionRegistry;
  /** Present with --redis. */
  cluster: ClusterConnections | undefined;
  metrics: BackendMetrics;
  /** The in-process event bus: emit on it to reach webhooks and /api/events. */
  events: EventBus;
  /** The proxies read for the console's Edge page (--proxy-status-url). */
  edge: ProxyStatusWatcher;
  eventsOut: EventsOut;
  features: Features;
  /** SIGHUP: apply what can change while serving (backend/reload.ts); rejects, changing nothing, on an invalid one. */
  reload(): Promise<void>;
}

export async function startBackend(
  config: BackendConfig,
  logger: Logger,
  lifecycle?: ProcessLifecycle<BackendConfig>,
): Promise<BackendHandle> {
  const oidc = oidcVerifier(config, logger);
  // Before anything is opened: a bad CA file fails the start with nothing to undo.
  const certificateAuthority = await loadCertificateAuthority(config);
  const { store, applied } = await Store.open({
    url: config.database,
    poolSize: config.dbPoolSize,
    poolWaitMs: config.dbPoolWait * 1000,
  });
  logger.info(
    { database: redactUrlPassword(config.database), dialect: store.dialect, migrationsApplied: applied },
    'storage ready',
  );

  const metrics = createBackendMetrics();
  if (store.groupCommit) registerGroupCommitMetrics(metrics.registry, store.groupCommit);
  // The SQLite file's filesystem (OcppEdgeDiskSpaceLow); PostgreSQL's disk is the database server's to watch.
  if (config.database.startsWith('sqlite:') && config.database !== 'sqlite::memory:')
    registerFilesystemMetrics(metrics.registry, [
      { purpose: 'database', path: path.dirname(config.database.slice('sqlite:'.length)) },
    ]);
  const events = new EventBus(logger);
  const eventsOut = new EventsOut({
    bus: events,
    store,
    registry: metrics.registry,
    logger,
    userAgent: `ocpp-edge/${packageVersion()}`,
    retentionHours: config.eventRetention,
    pollIntervalMs: config.eventPollInterval * 1000,
    webhookTimeoutMs: config.webhookTimeout * 1000,
    webhookMaxAttempts: config.webhookMaxAttempts,
    webhookRetryBaseMs: config.webhookRetryBase * 1000,
    keepAliveMs: config.eventKeepalive * 1000,
  });
  // With --redis this is one instance of several: presence and command routing in Redis (backend/cluster/).
  // Without it, the registry is this process's own connections, as it always was.
  const cluster = config.redis
    ? await ClusterConnections.start({
        redisUrl: config.redis,
        leaseMs: config.presenceLease * 1000,
        registry: metrics.registry,
        logger,
      })
    : undefined;
  const local = cluster?.local ?? new LocalConnections();
  // Every command goes through the observed registry, so the features keep state from the answers.
  const connections = new ObservedConnections(cluster ?? local, logger);
  const groupLease = createGroupLease(config, store, cluster, logger);
  const features = createFeatures({
    store,
    connections,
    events,
    logger,
    callTimeoutMs: config.callTimeout * 1000,
    afterBootDelayMs: config.afterBootDelay * 1000,
    afterBootConcurrency: config.afterBootConcurrency,
    localListRetryBaseMs: config.localListRetryBase * 1000,
    registry: metrics.registry,
    groupLease,
    groupRebalanceIntervalMs: config.groupRebalanceInterval * 1000,
    neverZeroModels: config.neverZeroModel ?? [],
    groupPauseCurrent: config.groupPauseCurrent,
  });
  const trustedProxies = new TrustedProxies(config.trustedProxy);

  const messageLog = new MessageLog(store, config.messageLogSize, logger);
  const validationModes = new ValidationModes(config.ocppValidation as ValidationMode);
  const profileMigrations = new ProfileMigrations({
    store,
    connections,
    events,
    logger,
    counter: metrics.profileMigrations,
    callTimeoutMs: config.callTimeout * 1000,
    cpoName: config.cpoName,
  });
  const centralSystem = new CentralSystem({
    profileMigrations,
    store,
    connections: local,
    metrics,
    messageLog,
    logger,
    events,
    reservations: features.reservations,
    onMeterValues: (chargePointId) => features.groupBalancer.meterValues(chargePointId),
    deviceReports: features.inventory,
    heartbeatInterval: config.heartbeatInterval,
    registration: config.registration as 'open' | 'known',
    requireSubprotocol: config.requireSubprotocol,
    // Checked when the configuration was loaded (backend/options.ts).
    ocppVersions: parseVersionList(config.ocppVersions) as OcppVersion[],
    maxFrameSize: config.maxFrameSize,
    maxPendingCalls: config.maxPendingCalls,
    maxBadMessages: config.maxBadMessages,
    callTimeoutMs: config.callTimeout * 1000,
    validationModes,
    trustedProxies,
    cpoName: config.cpoName,
    certificateAuthority,
  });

  /** The configuration in force: the start's, with what reloads applied. */
  let running = config;
  const apiSettings: ApiSettings = { apiTokens: config.apiToken, corsOrigins: config.corsOrigin };
  const { backlog, warning: backlogWarning } = effectiveBacklog(config.listenBacklog);
  const edge = new ProxyStatusWatcher(config.proxyStatusUrl, logger.child({ component: 'edge' }));
  let app: Awaited<ReturnType<typeof buildApi>> | undefined;
  let socketServer: net.Server | undefined;
  let metricsServer: Server | undefined;
  let stopping = false;
  try {
    app = await buildApi(
      {
        store,
        connections,
        cluster,
        metrics,
        logger,
        events,
        eventsOut,
        features,
        callTimeoutMs: config.callTimeout * 1000,
        validationModes,
        cpoName: config.cpoName,
        trustedProxies,
        certificateAuthority,
        profileMigrations,
      },
      { settings: apiSettings, oidc, edge, version: packageVersion() },
    );
    // Reached directly (no proxy): an upgrade on /ocpp/ without "Connection: Upgrade" goes to the OCPP endpoint too.
    promoteBeforeRequestListeners(app.server, {
      servesUpgrade: (url) => CentralSystem.matches(url),
      promoted: () => metrics.handshakeTolerances.inc({ kind: CONNECTION_HEADER_TOLERANCE }),
      notTakenOver: (socket) => refuseUpgrade(socket, 400, 'Connection header must name upgrade'),
    });
    app.server.on('upgrade', (request, socket: Duplex, head: Buffer) => {
      if (CentralSystem.matches(request.url)) centralSystem.handleUpgrade(request, socket, head);
      else refuseUpgrade(socket, 404, 'The WebSocket endpoint is /ocpp/{chargePointId}');
    });
    await app.listen({ host: config.host, port: config.port, backlog });
    if (config.socket !== undefined) socketServer = await listenOnSocket(app.server, config.socket, backlog);
    metricsServer = await startMetricsServer(metrics.registry, {
      host: config.metricsHost,
      port: config.metricsPort,
      healthy: () => !stopping,
    }).catch((error: NodeJS.ErrnoException) =>
      Promise.reject(
        new Error(
          `cannot listen on ${config.metricsHost}:${config.metricsPort} (metrics, --metrics-port): ${error.message}`,
        ),
      ),
    );
  } catch (error) {
    socketServer?.close();
    await app?.close().catch(() => {});
    await features.close();
    await cluster?.close();
    await eventsOut.close();
    await messageLog.close();
    await store.close();
    throw error;
  }

  const port = (app.server.address() as AddressInfo).port;
  const metricsListener = metricsServer as Server;
  const metricsPort = (metricsListener.address() as AddressInfo).port;
  edge.start();
  if (backlogWarning) logger.warn(backlogWarning);
  logger.info(
    {
      host: config.host,
      port,
      socket: config.socket,
      metricsPort,
      listenBacklog: backlog,
      ocpp: `ws://${config.host}:${port}/ocpp/{chargePointId}`,
    },
    'backend listening',
  );

  let stopped: Promise<void> | undefined;
  return {
    port,
    socketPath: config.socket,
    metricsPort,
    store,
    connections,
    cluster,
    metrics,
    events,
    edge,
    eventsOut,
    features,
    async reload() {
      if (!lifecycle) return;
      let next: BackendConfig;
      try {
        next = lifecycle.reloadConfig();
      } catch (error) {
        const reason = error instanceof ConfigError ? error.message : String(error);
        logger.error(`reload refused, nothing changed: invalid configuration: ${reason}`);
        throw error;
      }
      const { apply, restartNeeded } = planReload(running, next);
      // Replaced, not mutated: the token check rehashes when the list object changes.
      apiSettings.apiTokens = next.apiToken;
      apiSettings.corsOrigins = next.corsOrigin;
      logger.level = next.logLevel;
      app.log.level = next.logLevel;
      centralSystem.reconfigure({
        heartbeatInterval: next.heartbeatInterval,
        registration: next.registration as 'open' | 'known',
      });
      running = {
        ...running,
        ...pick(next, ['apiToken', 'corsOrigin', 'logLevel', 'heartbeatInterval', 'registration']),
      };
      if (restartNeeded.length > 0)
        logger.warn({ keys: restartNeeded }, `configuration changed ${restartNeeded.join(', ')}: restart to apply`);
      if (next.apiToken.length === 0)
        logger.warn('no --api-token configured: every /api/ request will be refused (401)');
      logger.info({ applied: apply, restartNeeded }, 'reloaded');
    },
    stop() {
      stopped ??= (async () => {
        stopping = true;
        edge.stop();
        await centralSystem.close();
        eventsOut.hub.close();
        // Stop accepting on the socket too; its connections belong to the HTTP server, whose close ends them (the
        // socket listener's close completes only then, and Node removes the socket file).
        const socketClosed = new Promise<void>((resolve) =>
          socketServer ? socketServer.close(() => resolve()) : resolve(),
        );
        await app.close();
        await socketClosed;
        await closeMetricsServer(metricsListener);
        profileMigrations.close();
        await features.close();
        await cluster?.close();
        await eventsOut.close();
        await messageLog.close();
        await store.close();
        logger.info('backend stopped');
      })();
      return stopped;
    },
  };
}

function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((key) => [key, source[key]])) as Pick<T, K>;
}

/**
 * --socket: a second listener whose connections go to the same HTTP server as the TCP ones, so HTTP, the
 * WebSocket upgrade, keep-alive and close() treat both alike. The socket is 0660: the proxy runs as the same user
 * (or group) in the PM2 and systemd deployments, nobody else may connect, which is why its peers count as a
 * trusted proxy. Its directory is made when missing.
 */
async function listenOnSocket(httpServer: net.Server, socketPath: string, backlog: number): Promise<net.Server> {
  mkdirSync(path.dirname(path.resolve(socketPath)), { recursive: true, mode: 0o750 });
  // A Unix socket peer has no address; it gets `unix:PATH`, which the logs show and --trusted-proxy trusts.
  const peer = `${UNIX_SCHEME}${socketPath}`;
  const server = net.createServer((socket) => {
    Object.defineProperty(socket, 'remoteAddress', { value: peer });
    httpServer.emit('connection', socket);
  });
  await listenOnUnixSocket(server, socketPath, { mode: 0o660, backlog });
  return server;
}

/** --oidc-*: validated with the rest of the configuration, before storage is opened. */
function oidcVerifier(config: BackendConfig, logger: Logger): OidcVerifier | undefined {
  if (!config.oidcIssuer) {
    const dependents = {
      '--oidc-audience': config.oidcAudience.length > 0 ? config.oidcAudience : undefined,
      '--oidc-client-id': config.oidcClientId,
      '--oidc-default-role': config.oidcDefaultRole,
    };
    for (const [key, value] of Object.entries(dependents))
      if (value !== undefined) throw new ConfigError(key, 'needs --oidc-issuer');
    return undefined;
  }
  if (config.oidcAudience.length === 0)
    throw new ConfigError('--oidc-audience', 'is required with --oidc-issuer (the aud a token must name)');
  return new OidcVerifier(
    {
      issuer: config.oidcIssuer,
      audiences: config.oidcAudience,
      roleClaim: config.oidcRoleClaim,
      defaultRole: config.oidcDefaultRole as Role | undefined,
      clientId: config.oidcClientId,
    },
    logger.child({ component: 'oidc' }),
  );
}

function closeMetricsServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** --cpo-ca-cert/--cpo-ca-key, both or neither; signing checks CSRs against --cpo-name, so it is needed too. */
async function loadCertificateAuthority(config: BackendConfig): Promise<CertificateAuthority | undefined> {
  if (config.cpoCaCert === undefined && config.cpoCaKey === undefined) return undefined;
  if (config.cpoCaCert === undefined) throw new ConfigError('cpo-ca-cert', 'needed with --cpo-ca-key');
  if (config.cpoCaKey === undefined) throw new ConfigError('cpo-ca-key', 'needed with --cpo-ca-cert');
  if (config.cpoName === undefined)
    throw new ConfigError('cpo-name', 'needed with --cpo-ca-cert: CSRs are checked for O = the CPO name');
  return CertificateAuthority.load(config.cpoCaCert, config.cpoCaKey, config.cpoCertDays);
}

function packageVersion(): string {
  return packageManifest().version;
}
