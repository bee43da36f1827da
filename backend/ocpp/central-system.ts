// The OCPP-J endpoint for OCPP 1.6 and 2.0.1 on the same URL: ocpp-rpc's RPCServer in strict mode, the upgrade
// checks (identity, version negotiation, HTTP Basic password, registration), one connection per charge point, and
// the handler modules of the negotiated version wired to every connection (1.6: one per feature profile, here;
// 2.0.1: v201/). OCPP 1.6 requests get the tolerant policy per charger (validator.ts, docs/INTEROP.md).

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createRPCError, RPCServer, type RPCClient } from 'ocpp-rpc';
import type { IHandshakeInterface } from 'ocpp-rpc/lib/server-client.js';
import type { Validator } from 'ocpp-rpc/lib/validator.js';
import { CHARGE_POINT_ID_RULE, chargePointIdFromPath, printableIdentity } from '../../common/charge-point-identity.js';
import { normaliseSubprotocols } from '../../common/handshake-tolerance.js';
import type { Logger } from '../../common/logger.js';
import { parseVersionList, versionOfSubprotocol, type OcppVersion } from '../../common/ocpp-versions.js';
import { writeRawHttpResponse } from '../../common/raw-http-response.js';
import { rpcErrorCode } from '../../common/rpc-error.js';
import type { EventBus } from '../events/bus.js';
import type { DeviceReportSink } from './configuration-inventory.js';
import type { Reservations } from './reservations.js';
import type { BackendMetrics } from '../metrics.js';
import type { Store } from '../store/store.js';
import { CallLimiter } from './call-limiter.js';
import type { LocalConnections } from './connections.js';
import { coreHandlers } from './core.js';
import { firmwareManagementHandlers } from './firmware-management.js';
import { securityHandlers } from './security.js';
import type { CertificateAuthority } from '../security/certificate-signing.js';
import { FrameRecorder } from './frame-recorder.js';
import type { CallHandler, CallInfo, HandlerContext, ProfileHandlers } from './handler.js';
import type { MessageLog } from './message-log.js';
import { negotiateVersion } from './negotiation.js';
import { v201Handlers } from './v201/index.js';
import { ChargerAuthentication, type MigrationGate } from '../security/charger-authentication.js';
import type { TrustedProxies } from '../security/trusted-proxies.js';
import { UpgradeRefusals } from '../security/upgrade-refusals.js';
import { SchemaViolationRecorder } from './schema-violations.js';
import type { SchemaViolation } from './tolerance/policy.js';
import type { ValidationModes } from './validation-modes.js';
import {
  type ValidationMode,
  chargerValidators,
  markOutbound,
  NO_SUBPROTOCOL,
  OCPP16,
  OCPP201,
  strictModeValidators,
  toleratedViolations,
} from './validator.js';

export interface CentralSystemOptions {
  store: Store;
  connections: LocalConnections;
  metrics: BackendMetrics;
  messageLog: MessageLog;
  logger: Logger;
  events: EventBus;
  reservations?: Reservations;
  /** Told after a charger's MeterValues are stored (the charging groups' balancer looks again). */
  onMeterValues?: (chargePointId: string) => void;
  /** The configuration inventory's intake of OCPP 2.0.1 NotifyReport parts. */
  deviceReports?: DeviceReportSink;
  /** Seconds, given to chargers in the BootNotification answer (reconfigure() may change it). */
  heartbeatInterval: number;
  /** open: unknown charge points are registered when they connect; known: refused (401). */
  registration: 'open' | 'known';
  /** Refuse (400) clients that offer no subprotocol instead of serving them as OCPP 1.6. */
  requireSubprotocol: boolean;
  /** The versions served, preferred first (--ocpp-versions); a charge point's own list overrides it. */
  ocppVersions: readonly OcppVersion[];
  /** Largest frame in bytes; ws closes the connection with 1009 beyond it. */
  maxFrameSize: number;
  /** Calls from one charger waiting behind the one being handled; more are refused with a CALLERROR. */
  maxPendingCalls: number;
  /** Consecutive unparseable frames after which the connection is closed (1002). */
  maxBadMessages: number;
  /** Default wait for a charger's answer to a command, ms. */
  callTimeoutMs: number;
  /** --ocpp-validation and the per-charger overrides. */
  validationModes: ValidationModes;
  /** --trusted-proxy: whose X-Forwarded-Proto and client-certificate headers are believed. */
  trustedProxies: TrustedProxies;
  /** Raising charge points' security profiles: consulted at each upgrade. */
  profileMigrations: MigrationGate;
  /** --cpo-name: the O of profile-3 charger certificates and of CSRs. */
  cpoName: string | undefined;
  /** --cpo-ca-cert/--cpo-ca-key: signs charger CSRs; undefined: they wait in the API. */
  certificateAuthority: CertificateAuthority | undefined;
}

/** The handler modules of each version. 1.6: one per feature profile (Remote Trigger adds no call of its own: a
 * trigger makes the charger send one of these). Actions without a handler are answered NotImplemented by ocpp-rpc. */
const HANDLERS: Readonly<Record<OcppVersion, readonly ProfileHandlers[]>> = {
  '1.6': [coreHandlers, firmwareManagementHandlers, securityHandlers],
  '2.0.1': v201Handlers,
};

const OCPP_PREFIX = '/ocpp/';
const NO_VIOLATIONS: readonly SchemaViolation[] = [];
/** One segment after /ocpp/, and a trailing '/' some chargers send; the identity rule is checked on upgrade. */
const OCPP_PATH = /^\/ocpp\/[^/]+\/?$/;

export class CentralSystem {
  private readonly rpc: RPCServer;
  private readonly refusals: UpgradeRefusals;
  private readonly authentication: ChargerAuthentication;
  /** Chargers already logged as sending hex-text AuthorizationKeys (bounded by the number of charge points). */
  private readonly hexPasswordChargers = new Set<string>();

  private readonly violations: SchemaViolationRecorder;

  constructor(private readonly options: CentralSystemOptions) {
    this.violations = new SchemaViolationRecorder(options.store, options.metrics, options.logger, options.events);
    this.refusals = new UpgradeRefusals(options.logger, options.metrics.upgradeRefusals);
    this.authentication = new ChargerAuthentication({
      store: options.store,
      refusals: this.refusals,
      trustedProxies: options.trustedProxies,
      // Read at each connection, so reconfigure() applies to the next one.
      get registration() {
        return options.registration;
      },
      cpoName: options.cpoName,
      migrations: options.profileMigrations,
      onHexPassword: (id) => {
        options.metrics.hexPasswords.inc();
        if (this.hexPasswordChargers.has(id)) return;
        this.hexPasswordChargers.add(id);
        options.logger.info(
          { chargePointId: id },
          'charger sends its AuthorizationKey as hex text, not as bytes: accepted (logged once per charger)',
        );
      },
      onPasswordRotated: (id) =>
        options.logger.info({ chargePointId: id }, 'charger logged in with its rotated password; the old one is void'),
      register: async (id) => {
        await options.store.ensureChargePoint(id, new Date().toISOString());
        options.logger.info({ chargePointId: id }, 'charge point registered (open registration)');
      },
    });
    this.rpc = new RPCServer({
      // The choice among these is ours (authenticate), never ocpp-rpc's default order.
      protocols: [OCPP16, OCPP201],
      // '' is what a client that offered no subprotocol gets; it is validated as OCPP 1.6 too (see validator.ts).
      strictMode: [OCPP16, NO_SUBPROTOCOL, OCPP201],
      strictModeValidators,
      callTimeoutMs: options.callTimeoutMs,
      // OCPP-J allows one outstanding call per direction; ocpp-rpc queues ours.
      callConcurrency: 1,
      maxBadMessages: options.maxBadMessages,
      respondWithDetailedErrors: false,
      wssOptions: { maxPayload: options.maxFrameSize },
    });
    this.rpc.auth((accept, reject, handshake, signal) => {
      this.authenticate(handshake, signal).then(
        (decision) =>
          decision.ok
            ? accept({ validation: decision.validation }, decision.protocol)
            : reject(decision.status, decision.message),
        (error: unknown) => {
          options.logger.error({ err: error, chargePointId: handshake.identity }, 'upgrade: storage unavailable');
          const refusal = this.refusals.refuse('storage_unavailable', {
            chargePointId: handshake.identity,
            remoteAddress: handshake.remoteAddress,
          });
          reject(refusal.status, refusal.message);
        },
      );
    });
    this.rpc.on('client', (client: RPCClient) => this.onConnection(client));
    // The WebSocket server's own errors; without a listener an EventEmitter 'error' would end the process.
    this.rpc.on('error', (error: Error) => options.logger.error({ err: error }, 'OCPP WebSocket server error'));
  }

  /** True for request paths this endpoint serves (/ocpp/{chargePointId}). */
  /** SIGHUP (backend/reload.ts): what may change while chargers stay connected. */
  reconfigure(settings: Pick<CentralSystemOptions, 'heartbeatInterval' | 'registration'>): void {
    this.options.heartbeatInterval = settings.heartbeatInterval;
    this.options.registration = settings.registration;
  }

  static matches(url: string | undefined): boolean {
    return OCPP_PATH.test(splitTarget(url)[0]);
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Forged client-certificate headers are refused before anything else, whatever the identity.
    if (
      this.authentication.transportOf({ remoteAddress: request.socket.remoteAddress, headers: request.headers }) ===
      undefined
    ) {
      const refusal = this.refusals.refuse('untrusted_proxy_headers', {
        chargePointId: printableIdentity(request.url ?? ''),
        remoteAddress: request.socket.remoteAddress,
        detail: 'client-certificate headers from an untrusted address',
      });
      refuseUpgrade(socket, refusal.status, refusal.message);
      return;
    }
    // The identity by the rule every part of ocpp-edge uses (common/charge-point-identity.ts). ocpp-rpc takes the
    // identity from the URL again, its own way (WHATWG URL, last segment, decoded outside its error handling: a
    // malformed escape would be an unhandled rejection), so it is given the canonical form of the one found here.
    const [pathname, query] = splitTarget(request.url);
    const identity = chargePointIdFromPath(pathname, OCPP_PREFIX);
    if (identity === undefined) {
      this.options.logger.warn(
        { url: printableIdentity(request.url ?? ''), remoteAddress: request.socket.remoteAddress },
        'upgrade refused: invalid charge point identity',
      );
      refuseUpgrade(socket, 400, CHARGE_POINT_ID_RULE);
      return;
    }
    request.url = `${OCPP_PREFIX}${encodeURIComponent(identity.id)}${query}`;
    if (identity.trailingSlash) this.options.metrics.handshakeTolerances.inc({ kind: 'trailing_slash' });
    // ws refuses an offer that is not a clean token list, and OCPP16 is compared case-sensitively by ocpp-rpc.
    const offer = request.headers['sec-websocket-protocol'];
    if (typeof offer === 'string') {
      const normal = normaliseSubprotocols(offer, [OCPP16]);
      if (normal !== offer) {
        this.options.metrics.handshakeTolerances.inc({ kind: 'subprotocol_spelling' });
        if (normal === '') delete request.headers['sec-websocket-protocol'];
        else request.headers['sec-websocket-protocol'] = normal;
      }
    }
    this.rpc.handleUpgrade(request, socket as never, head).catch((error: unknown) => {
      this.options.logger.error({ err: error, url: request.url }, 'upgrade failed');
      socket.destroy();
    });
  }

  async close(): Promise<void> {
    await this.options.connections.closeAll();
    await this.rpc.close({ code: 1001, reason: 'Server shutting down', force: false });
  }

  private async authenticate(handshake: IHandshakeInterface, signal?: AbortSignal): Promise<UpgradeDecision> {
    const { requireSubprotocol } = this.options;
    const id = handshake.identity;
    const attempt = {
      identity: id,
      password: handshake.password,
      remoteAddress: handshake.remoteAddress,
      headers: handshake.headers,
    };
    const result = await this.authentication.authenticate(attempt);
    if (!result.ok) return result;

    // The version: the charge point's own list (API) or --ocpp-versions, first offered wins; no subprotocol at all
    // is served as OCPP 1.6 (many chargers send none) unless required or 1.6 is not allowed for it.
    const { chargePoint } = result;
    const negotiation = negotiateVersion(
      handshake.protocols,
      this.versionsFor(chargePoint?.ocppVersions ?? null),
      requireSubprotocol,
    );
    if (!negotiation.ok)
      return this.refusals.refuse(negotiation.reason, {
        chargePointId: id,
        remoteAddress: handshake.remoteAddress,
        detail: `${negotiation.message} (offered: ${[...handshake.protocols].join(', ') || 'none'})`,
      });
    // Kept for the API and for commands routed from another instance; written only when it changed, so a
    // reconnecting fleet costs no extra write.
    if (chargePoint?.ocppVersion !== negotiation.version)
      await this.options.store.recordOcppVersion(id, negotiation.version);

    if (signal?.aborted) return { ok: false, status: 400, message: 'Client went away' };
    this.options.metrics.upgradesAccepted.inc({ security_profile: String(result.profile) });
    return {
      ok: true,
      protocol: negotiation.protocol,
      validation: this.options.validationModes.effective(result.chargePoint?.ocppValidation),
    };
  }

  /** The charge point's own list (set through the API) when it has a valid one, else --ocpp-versions. */
  private versionsFor(stored: readonly string[] | null): readonly OcppVersion[] {
    if (stored === null) return this.options.ocppVersions;
    const versions = parseVersionList(stored.join(','));
    return typeof versions === 'string' ? this.options.ocppVersions : versions;
  }

  private onConnection(client: RPCClient): void {
    const { connections, metrics, logger, events } = this.options;
    const chargePointId = client.identity as string;
    const version = versionOfSubprotocol(client.protocol) ?? '1.6';
    const previous = connections.attach(chargePointId, client);
    metrics.connectedChargePoints.set(connections.size);
    metrics.connectionsByVersion.inc({ ocpp_version: version });
    logger.info(
      { chargePointId, protocol: client.protocol || 'none (served as ocpp1.6)', replaced: Boolean(previous) },
      'charge point connected',
    );
    // A charger that reconnects before its old socket timed out: the new connection wins, the old one is closed.
    if (previous) void previous.close({ code: 1000, reason: 'Replaced by a new connection' });
    events.emit('charger.connected', {
      chargePointId,
      protocol: client.protocol || 'ocpp1.6',
      remoteAddress: (client as unknown as { handshake?: { remoteAddress?: string } }).handshake?.remoteAddress,
    });

    // This charger's validators (its mode may change through the REST API while it is connected).
    const { session } = client as unknown as { session: { validation: ValidationMode } };
    const validators = chargerValidators(session.validation);
    (client as unknown as { reconfigure(options: { strictModeValidators: Validator[] }): void }).reconfigure({
      strictModeValidators: validators as unknown as Validator[],
    });
    this.options.validationModes.attach(chargePointId, validators);

    const recorder = new FrameRecorder(chargePointId, logger, metrics, this.options.messageLog, version);
    client.on('message', ({ message, outbound }: { message: string | Buffer; outbound: boolean }) =>
      recorder.record(String(message), outbound),
    );
    client.on('badMessage', ({ error }: { error: Error }) =>
      logger.warn({ chargePointId, err: error.message }, 'bad message from charger'),
    );
    client.on(
      'strictValidationFailure',
      ({ method, outbound, isCall, error }: { method: string; outbound: boolean; isCall: boolean; error: Error }) => {
        logger.warn(
          { chargePointId, action: method, outbound, isCall, err: error.message },
          'strict mode: schema violation',
        );
        events.emit('schema.violation', {
          chargePointId,
          action: method,
          direction: outbound ? 'outbound' : 'inbound',
          isCall,
          message: error.message,
        });
      },
    );
    client.once('close', ({ code, reason }: { code: number; reason: string }) => {
      connections.detach(chargePointId, client);
      this.options.validationModes.detach(chargePointId, validators);
      metrics.connectedChargePoints.set(connections.size);
      metrics.connectionsByVersion.dec({ ocpp_version: version });
      logger.info({ chargePointId, code, reason }, 'charge point disconnected');
      events.emit('charger.disconnected', { chargePointId, code, reason: String(reason ?? '') });
    });

    const limiter = new CallLimiter(1, this.options.maxPendingCalls);
    const options = this.options;
    const context: HandlerContext = {
      chargePointId,
      store: this.options.store,
      logger,
      events,
      reservations: this.options.reservations,
      meterValuesStored: this.options.onMeterValues,
      deviceReports: this.options.deviceReports,
      // Read at each BootNotification, so reconfigure() applies to the next boot of a connected charger too.
      get heartbeatInterval() {
        return options.heartbeatInterval;
      },
      now: () => new Date().toISOString(),
      metrics,
      cpoName: this.options.cpoName,
      certificateAuthority: this.options.certificateAuthority,
      callCharger: (action, payload) =>
        // Marked ours: the tolerant policy repairs only what chargers send.
        client.call(action, markOutbound(payload), { callTimeoutMs: this.options.callTimeoutMs }) as Promise<unknown>,
      // ocpp-rpc sends the answer when the handler's promise settles; a macrotask later it is written.
      afterAnswer: (task) =>
        void setImmediate(() =>
          task().catch((error: unknown) =>
            logger.error({ err: error, chargePointId }, 'a follow-up of an answered call failed'),
          ),
        ),
    };
    for (const handlers of HANDLERS[version]) {
      for (const [action, handler] of Object.entries(handlers)) {
        client.handle(action, ({ params, messageId = '' }) => {
          // Only a request the tolerant policy repaired carries violations; a conformant one costs a WeakMap miss.
          const violations = toleratedViolations(params) ?? NO_VIOLATIONS;
          if (violations.length > 0) this.violations.record(chargePointId, action, messageId, violations);
          return limiter.run(() => this.answer(action, handler, params, context, { messageId, violations }));
        });
      }
    }
  }

  /** Runs one handler; anything but an OCPP error (storage failure, bug) becomes InternalError for the charger. */
  private async answer(
    action: string,
    handler: CallHandler,
    params: unknown,
    context: HandlerContext,
    call: CallInfo,
  ): Promise<Record<string, unknown>> {
    const stopTimer = this.options.metrics.handlerDuration.startTimer({ action });
    try {
      // Follow-ups (a call to the charger that must come after this answer) wait for the answer itself, which now
      // waits for the disk: queued per call and handed on once the sync is done.
      const followUps: Array<() => Promise<void>> = [];
      const callContext: HandlerContext = Object.create(context, {
        afterAnswer: { value: (task: () => Promise<void>) => void followUps.push(task) },
      });
      const result = await handler(params, callContext, call);
      // What the answer acknowledges is on disk before it leaves (SQLite's group commit; a no-op on PostgreSQL).
      await context.store.durable();
      for (const task of followUps) context.afterAnswer(task);
      stopTimer({ outcome: 'ok' });
      return result;
    } catch (error) {
      stopTimer({ outcome: 'error' });
      if (rpcErrorCode(error) !== undefined) throw error;
      context.logger.error(
        { err: error, chargePointId: context.chargePointId, action },
        'handler failed; answering InternalError',
      );
      throw createRPCError('InternalError', `${action} could not be processed; nothing was stored`, {});
    }
  }
}

/** A request target as its path and its query (with the '?', or ''). */
function splitTarget(url: string | undefined): [string, string] {
  const target = url ?? '/';
  const queryStart = target.indexOf('?');
  return queryStart === -1 ? [target, ''] : [target.slice(0, queryStart), target.slice(queryStart)];
}

/** Answers an upgrade request with a plain HTTP error and closes the socket. */
export function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  writeRawHttpResponse(socket, status, { contentType: 'text/plain', body: message });
}

type UpgradeDecision =
  | { ok: true; protocol: string | false; validation: ValidationMode }
  | { ok: false; status: number; message: string };
