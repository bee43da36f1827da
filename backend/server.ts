// `ocpp-edge backend`: the OCPP 1.6-J central system. One HTTP server carries the charger WebSockets at
// /ocpp/{chargePointId}, the REST API under /api/, OpenAPI at /docs, /health and /metrics.
//
// Lifecycle: open storage and migrate (fail early, before listening), build the OCPP endpoint and the API,
// listen; stop() closes chargers with 1001, then HTTP, then flushes the message log and closes storage.

import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RunningProcess } from '../common/command.js';
import { redactUrlPassword } from '../common/config.js';
import { effectiveBacklog } from '../common/listen-backlog.js';
import type { Logger } from '../common/logger.js';
import { buildApi } from './api/app.js';
import { ClusterConnections } from './cluster/cluster-connections.js';
import { createBackendMetrics, type BackendMetrics } from './metrics.js';
import { CentralSystem, refuseUpgrade } from './ocpp/central-system.js';
import { LocalConnections, type ConnectionRegistry } from './ocpp/connections.js';
import { MessageLog } from './ocpp/message-log.js';
import { ValidationModes } from './ocpp/validation-modes.js';
import type { ValidationMode } from './ocpp/validator.js';
import type { BackendConfig } from './options.js';
import { Store } from './store/store.js';

export interface BackendHandle extends RunningProcess {
  /** The bound port (the configuration may ask for 0). */
  port: number;
  store: Store;
  connections: ConnectionRegistry;
  /** Present with --redis. */
  cluster: ClusterConnections | undefined;
  metrics: BackendMetrics;
}

export async function startBackend(config: BackendConfig, logger: Logger): Promise<BackendHandle> {
  const { store, applied } = await Store.open({ url: config.database, poolSize: config.dbPoolSize });
  logger.info(
    { database: redactUrlPassword(config.database), dialect: store.dialect, migrationsApplied: applied },
    'storage ready',
  );

  const metrics = createBackendMetrics();
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
  const connections: ConnectionRegistry = cluster ?? local;
  const messageLog = new MessageLog(store, config.messageLogSize, logger);
  const validationModes = new ValidationModes(config.ocppValidation as ValidationMode);
  const centralSystem = new CentralSystem({
    store,
    connections: local,
    metrics,
    messageLog,
    logger,
    heartbeatInterval: config.heartbeatInterval,
    registration: config.registration as 'open' | 'known',
    requireSubprotocol: config.requireSubprotocol,
    maxFrameSize: config.maxFrameSize,
    maxPendingCalls: config.maxPendingCalls,
    maxBadMessages: config.maxBadMessages,
    callTimeoutMs: config.callTimeout * 1000,
    validationModes,
  });

  const { backlog, warning: backlogWarning } = effectiveBacklog(config.listenBacklog);
  let app;
  try {
    app = await buildApi(
      { store, connections, cluster, metrics, logger, callTimeoutMs: config.callTimeout * 1000, validationModes },
      { apiTokens: config.apiToken, corsOrigins: config.corsOrigin, version: packageVersion() },
    );
    app.server.on('upgrade', (request, socket: Duplex, head: Buffer) => {
      if (CentralSystem.matches(request.url)) centralSystem.handleUpgrade(request, socket, head);
      else refuseUpgrade(socket, 404, 'The WebSocket endpoint is /ocpp/{chargePointId}');
    });
    await app.listen({ host: config.host, port: config.port, backlog });
  } catch (error) {
    await app?.close().catch(() => {});
    await cluster?.close();
    await messageLog.close();
    await store.close();
    throw error;
  }

  const port = (app.server.address() as AddressInfo).port;
  if (backlogWarning) logger.warn(backlogWarning);
  logger.info(
    { host: config.host, port, listenBacklog: backlog, ocpp: `ws://${config.host}:${port}/ocpp/{chargePointId}` },
    'backend listening',
  );

  let stopped: Promise<void> | undefined;
  return {
    port,
    store,
    connections,
    cluster,
    metrics,
    stop() {
      stopped ??= (async () => {
        await centralSystem.close();
        await app.close();
        await cluster?.close();
        await messageLog.close();
        await store.close();
        logger.info('backend stopped');
      })();
      return stopped;
    },
  };
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
      .version;
  } catch {
    return '0.0.0';
  }
}
