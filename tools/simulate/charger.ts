// One simulated charge point: a single-connector charger on ocpp-rpc's RPCClient in strict mode, speaking OCPP
// 1.6-J or OCPP 2.0.1 (one EVSE, one connector). What is said on the wire is its ChargerProtocol's (protocol-16.ts,
// protocol-201.ts) and how it answers is its version's table (remote-commands.ts, remote-commands-201.ts); the
// life of the charger is the same for both, here.
//
// Lifecycle, like a charger in the field: connect (retrying with exponential back-off and jitter) → BootNotification
// until Accepted (Pending/Rejected: again after the interval given) → StatusNotification for connectors 0 and 1 →
// Heartbeats at the central system's interval, charging sessions if asked, answers to the central system's calls.
// When the connection drops it reconnects the same way and carries on where it was, without booting again (it did
// not reboot: OCPP asks for a BootNotification only after a reboot); a transaction in progress is finished
// after the reconnect (2.0.1: its end flagged offline when it happened, or was lost, while offline). Reset closes
// the connection and boots again, as a reboot would.

import { performance } from 'node:perf_hooks';
import type { SecureContext } from 'node:tls';
import { RPCClient } from 'ocpp-rpc';
import { backoffDelayMs, type BackoffSettings } from './backoff.js';
import {
  type ChargingProfile as ChargingProfile201,
  ChargingProfiles,
  type ClearCriteria,
} from './charging-profiles.js';
import { MINIMUM_AC_CURRENT, NOMINAL_VOLTAGE } from '../../common/charging-profile.js';
import { ChargerConfiguration } from './configuration.js';
import { DeviceModel, type ReportBase } from './device-model.js';
import { errorKind } from './error-kind.js';
import { LocalAuthList } from './local-list.js';
import type { OcppVersion } from './ocpp-mix.js';
import type {
  BootReason,
  ChargerProtocol,
  ChargerTransaction,
  ConnectorStatus,
  MeterReading,
  ProtocolSession,
} from './protocol.js';
import { ocpp16Protocol } from './protocol-16.js';
import { ocpp201Protocol } from './protocol-201.js';
import {
  answerCentralSystem,
  ocpp16Answers,
  type AnswerTable,
  type AvailabilityType,
  type TriggerableMessage,
} from './remote-commands.js';
import { ocpp201Answers, type ChargingStationControl } from './remote-commands-201.js';
import type { SimulationStats, VersionStats } from './stats.js';
import type { Logger } from '../../common/logger.js';
import { omitsConnectionHeader, withQuirks } from './quirks.js';
import { toProfile16 } from './profile-201.js';
import { connectWithoutConnectionHeader } from './upgrade-quirk.js';
import { acceptable, ChargerProfiles, type ProfileCapabilities, type RunningTransaction } from './smart-charging.js';

export interface ChargerSettings {
  identity: string;
  /** The OCPP version it speaks (and the one subprotocol it offers). */
  ocppVersion: OcppVersion;
  /** Its security profile, as its device model reports it (SecurityCtrlr.SecurityProfile). */
  securityProfile?: number;
  /** Central system base URL; ocpp-rpc appends "/<identity>". */
  endpoint: string;
  /** HTTP Basic password (user name: the identity); undefined for none. */
  password: string | undefined;
  /** TLS context for wss:// shared by the fleet (trusted CAs); undefined for ws://. */
  secureContext: SecureContext | undefined;
  rejectUnauthorized: boolean;
  /** Fixed heartbeat interval overriding the central system's, seconds. */
  heartbeatOverrideSec: number | undefined;
  /** Start charging sessions on its own (a charger answers RemoteStartTransaction either way). */
  runTransactions: boolean;
  meterIntervalSec: number;
  transactionDurationSec: number;
  transactionPauseSec: number;
  idTag: string;
  callTimeoutMs: number;
  pingIntervalSec: number;
  backoff: BackoffSettings;
  /** --quirks: behave like these models (quirks.ts); none: a conformant charger. */
  quirks?: readonly string[];
  /** What the EV would draw per phase if nothing limited it, A (default: the charger's maximum). */
  evDemandA?: number;
}

const PROTOCOLS: Readonly<Record<OcppVersion, ChargerProtocol>> = { '1.6': ocpp16Protocol, '2.0.1': ocpp201Protocol };
const ANSWERS: Readonly<Record<OcppVersion, AnswerTable<ChargingStationControl>>> = {
  '1.6': ocpp16Answers,
  '2.0.1': ocpp201Answers,
};
/** When the central system gives interval 0, OCPP leaves the choice to the charger. */
const FALLBACK_INTERVAL_SEC = 60;
/** A rebooting charger is offline for a moment before it reconnects. */
const REBOOT_DELAY_MS = 1000;
/** How long stop() lets in-flight calls finish before dropping the connection. */
const CLOSE_GRACE_MS = 2000;
/** What the charger can deliver per phase, A (3 × 32 A × 230 V = 22 kW). */
const MAX_CURRENT_A = 32;
const PHASES = 3;
const IDLE_NAP_MS = 3_600_000;
/** The calls that end a transaction, each version's. */
const TRANSACTION_ENDS: ReadonlySet<string> = new Set(['StopTransaction', 'TransactionEvent']);

/** The number a 2.0.1 station's (string-id) running transaction has for its TxProfiles: one runs at a time. */
const STATION_TRANSACTION = 1;

export class SimulatedCharger implements ChargingStationControl {
  readonly configuration: ChargerConfiguration;
  /** Kept across reconnects and reboots, as a charger keeps it in flash. */
  readonly localList = new LocalAuthList();
  readonly reservations = new Map<number, { connectorId: number; idTag: string; expiryDate: string }>();
  /** OCPP 2.0.1: its device model and the charging profiles it holds. */
  readonly deviceModel: DeviceModel;
  readonly chargingProfiles = new ChargingProfiles(8);
  /** The charging profiles' limit, computed (OCPP 1.6: the profiles it holds; 2.0.1: their translation). */
  readonly smartCharging = new ChargerProfiles(MAX_CURRENT_A);
  /** Every change of what it may draw (A per phase; 0 outside a session), with performance.now(): what a test
   * checks a group's limits against over time. The last 10,000 are kept. */
  readonly limitHistory: Array<{ at: number; limitA: number }> = [];
  /** What the EV wants per phase, A; lower it to simulate a full battery (setEvDemand). */
  private evDemandA: number;
  /** Per phase, A, since meterReadAt: what the meter advances by. */
  private drawA = 0;
  /** ms since the epoch at which the running transaction started (Relative schedules count from it). */
  private transactionStartedAt = 0;
  /** The status last reported for connector 1 while charging (Charging, or SuspendedEVSE when held below 6 A). */
  private reportedChargingStatus: ConnectorStatus | undefined;
  private readonly protocol: ChargerProtocol;
  private readonly versionStats: VersionStats;
  /** What the protocol may use of the charger. */
  private readonly protocolSession: ProtocolSession;
  private readonly client: RPCClient;
  private readonly stopController = new AbortController();
  private running: Promise<void> | undefined;
  private session: AbortController | undefined;
  private startedAt = 0;

  private failedAttempts = 0;
  private everConnected = false;
  private everAccepted = false;
  /** Boot accepted since the last (simulated) reboot. */
  private accepted = false;
  /** Counted in stats.booted: accepted and connected now. */
  private countedBooted = false;
  private rebooting = false;
  /** The reason of the next BootNotification (2.0.1). */
  private bootReason: BootReason = 'PowerUp';
  /** performance.now() at which the current connection opened. */
  private connectedAt = 0;
  /** The connection is being closed by us (stop, reset): not a loss. */
  private closingOnPurpose = false;
  /** When the server or the network took the connection away; cleared at the next open. */
  private disconnectedAt: number | undefined;

  private operative = true;
  private inoperativeScheduled = false;
  private transaction: ChargerTransaction | undefined;
  /** A StartTransaction in flight: settles once its answer is recorded (or it failed). */
  private starting: Promise<void> | undefined;
  private remoteStartRequest: { idTag: string; remoteStartId?: number } | undefined;
  private meterWh = Math.round(Math.random() * 1_000_000);
  private meterReadAt = performance.now();
  private readonly wakers = new Set<() => void>();

  /** The one call in flight (callConcurrency 1, as OCPP 1.6 requires), for the round-trip time. */
  private inFlight: { id: string; action: string; sentAt: number } | undefined;

  constructor(
    private readonly settings: ChargerSettings,
    private readonly stats: SimulationStats,
    private readonly logger: Logger,
  ) {
    this.evDemandA = settings.evDemandA ?? MAX_CURRENT_A;
    this.configuration = new ChargerConfiguration({
      heartbeatIntervalSec: settings.heartbeatOverrideSec ?? 0,
      meterIntervalSec: settings.meterIntervalSec,
      pingIntervalSec: settings.pingIntervalSec,
    });
    this.protocol = PROTOCOLS[settings.ocppVersion];
    this.versionStats = stats.version(settings.ocppVersion);
    this.protocolSession = { identity: settings.identity, call: (action, payload) => this.call(action, payload) };
    this.deviceModel = new DeviceModel({
      configuration: this.configuration,
      availability: () => {
        const status = this.connectorStatus();
        return status === 'Available' || status === 'Unavailable' ? status : 'Occupied';
      },
      localListEntries: () => this.localList.entries.size,
      chargingProfiles: () => this.chargingProfiles.size,
      securityProfile: settings.securityProfile ?? 0,
    });
    this.client = new RPCClient({
      identity: settings.identity,
      endpoint: settings.endpoint,
      password: settings.password ?? null,
      protocols: [this.protocol.subprotocol],
      // A quirky charger sends what its schema refuses: its own strict mode would stop it.
      strictMode: (settings.quirks ?? []).length === 0,
      strictModeValidators: [],
      // Reconnection is ours (see run()): ocpp-rpc does not retry a first connection that fails, and we count it.
      reconnect: false,
      maxReconnects: 0,
      backoff: { initialDelay: 1000, maxDelay: 2000, factor: 2, randomisationFactor: 0 }, // unused: reconnect is false
      callTimeoutMs: settings.callTimeoutMs,
      // OCPP-J (1.6 and 2.0.1): one call at a time from the charger.
      callConcurrency: 1,
      pingIntervalMs: settings.pingIntervalSec * 1000,
      deferPingsOnActivity: false,
      respondWithDetailedErrors: false,
      maxBadMessages: Infinity,
      headers: {},
      wsOpts: {
        // Embedded chargers do not negotiate compression; offering it would change what a proxy is measured on.
        perMessageDeflate: false,
        handshakeTimeout: settings.callTimeoutMs,
        secureContext: settings.secureContext,
        rejectUnauthorized: settings.rejectUnauthorized,
        ...(omitsConnectionHeader(settings.quirks ?? []) && {
          createConnection: connectWithoutConnectionHeader(settings.endpoint.startsWith('wss:')),
        }),
      },
    });
    answerCentralSystem(this.client, this, ANSWERS[settings.ocppVersion], (action) => this.stats.answered(action));
    this.watchTraffic();
  }

  get identity(): string {
    return this.settings.identity;
  }

  get ocppVersion(): OcppVersion {
    return this.protocol.version;
  }

  start(): void {
    this.startedAt = performance.now();
    this.stats.started++;
    this.versionStats.chargers++;
    this.running = this.run();
  }

  /**
   * Stops for good: no new calls but a StopTransaction for a session in progress; in-flight calls get
   * CLOSE_GRACE_MS in all, then the connection closes (1000).
   */
  async stop(): Promise<void> {
    if (this.stopController.signal.aborted) return this.running;
    this.stopController.abort();
    this.session?.abort();
    if (this.client.state === RPCClient.OPEN) {
      this.closingOnPurpose = true;
      const grace = setTimeout(() => void this.client.close({ force: true }), CLOSE_GRACE_MS);
      // End a charging session properly, so the central system is not left with an open transaction.
      await this.starting;
      const transaction = this.transaction;
      if (transaction && this.accepted) {
        transaction.stopReason ??= 'Local';
        await this.sendStopTransaction(transaction).catch(() => undefined);
      }
      const closed = this.client.close({ code: 1000, reason: 'simulation finished', awaitPending: true });
      await closed.catch(() => undefined);
      clearTimeout(grace);
    } else {
      // Connecting or waiting to retry: abort the attempt (no-op when closed).
      await this.client.close({ force: true }).catch(() => undefined);
    }
    await this.running;
  }

  // ---- connection lifecycle ----

  private get stopping(): boolean {
    return this.stopController.signal.aborted;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      if (await this.connect()) {
        await this.serve();
        if (this.stopping) break;
      }
      // A reset reboots quickly; any other end (failed attempt, lost connection) backs off, growing with each
      // failure until a session works again (see runSession).
      const delay = this.rebooting ? REBOOT_DELAY_MS : backoffDelayMs(this.settings.backoff, this.failedAttempts++);
      await this.nap(delay, this.stopController.signal).catch(() => undefined);
    }
  }

  private async connect(): Promise<boolean> {
    const began = performance.now();
    try {
      await this.client.connect();
    } catch (error) {
      if (!this.stopping) {
        this.stats.error('connect', errorKind(error));
        this.logger.debug({ charger: this.identity, err: error }, 'connection attempt failed');
      }
      return false;
    }
    this.stats.connectTime.recordMs(performance.now() - began);
    if (this.disconnectedAt !== undefined) this.stats.reconnectTime.recordMs(performance.now() - this.disconnectedAt);
    this.disconnectedAt = undefined;
    this.stats.connected++;
    this.connectedAt = performance.now();
    if (this.everConnected && !this.rebooting) this.stats.reconnects++;
    if (!this.everConnected) {
      this.stats.everConnected++;
      this.versionStats.connected++;
    }
    this.everConnected = true;
    this.rebooting = false;
    return true;
  }

  /** Runs one connection's session; resolves when the connection is closed, whoever closed it. */
  private async serve(): Promise<void> {
    const session = new AbortController();
    this.session = session;
    const closed = new Promise<{ code?: number }>((resolve) => this.client.once('close', resolve));
    if (this.stopping) {
      // stop() came while the connection was opening: close what just opened.
      this.closingOnPurpose = true;
      void this.client.close({ code: 1000, reason: 'simulation finished' });
    } else {
      void this.runSession(session.signal);
    }
    const { code } = await closed;
    session.abort();
    this.session = undefined;
    this.inFlight = undefined;
    this.stats.connected--;
    if (this.countedBooted) {
      this.stats.booted--;
      this.countedBooted = false;
    }
    if (!this.closingOnPurpose && (code === 1001 || code === 1012)) {
      this.stats.serverRestarts++;
      this.logger.debug({ charger: this.identity, code }, 'server going away; reconnecting');
    } else if (!this.closingOnPurpose) {
      this.stats.connectionsLost++;
      this.stats.error('connection', `closed ${code ?? 'abnormally'}`);
      this.logger.debug({ charger: this.identity, code }, 'connection lost');
    }
    // Reconnect time counts from here, unless the charger closed on purpose (a stop, a reboot's own pause).
    if (!this.closingOnPurpose && !this.stopping && !this.rebooting) this.disconnectedAt = performance.now();
    this.closingOnPurpose = false;
  }

  private async runSession(signal: AbortSignal): Promise<void> {
    try {
      if (this.accepted) this.markBooted();
      else await this.boot(signal);
      // A refused StatusNotification is counted, and the charger carries on, as a real one would.
      await this.sendStatus(0, this.operative ? 'Available' : 'Unavailable').catch((error: unknown) =>
        this.unlessGone(error, signal),
      );
      await this.sendStatus(1, this.connectorStatus()).catch((error: unknown) => this.unlessGone(error, signal));
      // The central system answers on this connection: the next loss backs off from the start again. (Not at the
      // open alone, or a server that accepts and drops at once would be retried at the shortest delay forever.)
      this.failedAttempts = 0;
      await Promise.all([this.heartbeats(signal), this.charging(signal)]);
    } catch (error) {
      if (!this.connectionGone(signal))
        this.logger.warn({ charger: this.identity, err: error }, 'session ended unexpectedly');
    }
  }

  // ---- boot ----

  private async boot(signal: AbortSignal): Promise<void> {
    while (!this.accepted) {
      let retryMs: number;
      try {
        retryMs = await this.bootOnce();
      } catch (error) {
        if (this.connectionGone(signal)) throw error;
        retryMs = backoffDelayMs(this.settings.backoff, 0);
      }
      if (!this.accepted) await this.nap(retryMs, signal, true);
    }
  }

  /** One BootNotification; returns after how long to try again when not accepted. */
  private async bootOnce(reason = this.bootReason): Promise<number> {
    const answer = await this.protocol.boot(this.protocolSession, reason);
    const intervalSec = answer.interval > 0 ? answer.interval : FALLBACK_INTERVAL_SEC;
    if (answer.status !== 'Accepted') {
      this.stats.refusal('BootNotification', answer.status);
      return intervalSec * 1000;
    }
    // The interval of an accepted boot is the heartbeat interval (OCPP 1.6 §4.2, 2.0.1 B01).
    this.configuration.set('HeartbeatInterval', intervalSec);
    this.accepted = true;
    this.bootReason = 'PowerUp';
    if (!this.everAccepted) {
      this.everAccepted = true;
      this.stats.everBooted++;
      this.versionStats.booted++;
      this.stats.bootTime.recordMs(performance.now() - this.startedAt);
    }
    this.markBooted();
    this.wake();
    return 0;
  }

  private markBooted(): void {
    if (this.countedBooted || this.client.state !== RPCClient.OPEN) return;
    this.countedBooted = true;
    this.stats.booted++;
  }

  // ---- heartbeats ----

  private async heartbeats(signal: AbortSignal): Promise<void> {
    for (;;) {
      await this.nap(this.heartbeatIntervalMs(), signal);
      await this.protocol.heartbeat(this.protocolSession).catch((error: unknown) => this.unlessGone(error, signal));
    }
  }

  private heartbeatIntervalMs(): number {
    const seconds = this.settings.heartbeatOverrideSec ?? this.configuration.integer('HeartbeatInterval');
    return (seconds > 0 ? seconds : FALLBACK_INTERVAL_SEC) * 1000;
  }

  // ---- charging sessions ----

  private async charging(signal: AbortSignal): Promise<void> {
    for (;;) {
      if (this.transaction) {
        await this.chargeUntilStopped(signal);
        continue;
      }
      if (this.remoteStartRequest !== undefined) {
        const request = this.remoteStartRequest;
        this.remoteStartRequest = undefined;
        // AuthorizeRemoteTxRequests is false: a remote start needs no Authorize.
        await this.startTransaction(request.idTag, false, signal, request.remoteStartId);
        continue;
      }
      if (!this.settings.runTransactions || !this.operative) {
        await this.nap(IDLE_NAP_MS, signal, true);
        continue;
      }
      const pauseMs = this.settings.transactionPauseSec * 1000 * (0.5 + Math.random());
      await this.nap(pauseMs, signal, true);
      if (this.transaction || this.remoteStartRequest !== undefined || !this.operative) continue;
      await this.startTransaction(this.settings.idTag, true, signal);
    }
  }

  private async startTransaction(
    idTag: string,
    authorize: boolean,
    signal: AbortSignal,
    remoteStartId?: number,
  ): Promise<void> {
    try {
      if (authorize) {
        const status = await this.protocol.authorize(this.protocolSession, idTag);
        if (status !== 'Accepted') {
          this.stats.refusal('Authorize', status);
          return;
        }
      }
      await this.sendStatus(1, 'Preparing');
      // stop() waits for this: a session the central system accepts while the simulation ends must be stopped.
      const starting = (async () => {
        const meter = this.meterReading();
        const started = await this.protocol.startTransaction(this.protocolSession, {
          idTag,
          remoteStartId,
          endsAt: performance.now() + this.settings.transactionDurationSec * 1000,
          meter,
        });
        this.transaction = started.transaction;
        this.transactionStartedAt = Date.now();
        this.advanceMeter();
        this.recordLimit();
        this.stats.transactionAcknowledged({
          charger: this.identity,
          phase: 'started',
          transactionId: started.transaction.id,
          meterWh: Math.round(meter.wh),
        });
        this.versionStats.transactionsStarted++;
        return started;
      })();
      this.starting = starting.then(
        () => undefined,
        () => undefined,
      );
      const { status, transaction } = await starting.finally(() => (this.starting = undefined));
      if (status !== 'Accepted') {
        // StopTransactionOnInvalidId is true: end it at once.
        this.stats.refusal(this.protocol.version === '1.6' ? 'StartTransaction' : 'TransactionEvent', status);
        transaction.stopReason = 'DeAuthorized';
        return;
      }
      this.reportedChargingStatus = this.chargingStatus();
      await this.sendStatus(1, this.reportedChargingStatus);
    } catch (error) {
      this.unlessGone(error, signal);
      if (!this.transaction) await this.sendStatus(1, this.connectorStatus()).catch(() => undefined);
    }
  }

  /** MeterValues every MeterValueSampleInterval until the session ends, then StopTransaction. */
  private async chargeUntilStopped(signal: AbortSignal): Promise<void> {
    const transaction = this.transaction!;
    while (!transaction.stopReason && performance.now() < transaction.endsAt) {
      const sampleMs = Math.max(
        100,
        this.configuration.integer('MeterValueSampleInterval') * 1000 || this.settings.meterIntervalSec * 1000,
      );
      await this.nap(Math.min(sampleMs, transaction.endsAt - performance.now()), signal, true);
      if (transaction.stopReason || performance.now() >= transaction.endsAt) break;
      await this.sendMeterValues().catch((error: unknown) => this.unlessGone(error, signal));
    }
    // It ended on its own before this connection opened: while the charger was offline.
    if (!transaction.stopReason && transaction.endsAt <= this.connectedAt) transaction.endedOffline = true;
    try {
      await this.sendStopTransaction(transaction);
    } catch (error) {
      // Offline: keep the transaction and send StopTransaction after the reconnect, as chargers queue it.
      this.unlessGone(error, signal);
      // Refused by the central system (already counted): nothing more a charger could do about it.
      this.transaction = undefined;
    }
    if (this.inoperativeScheduled) {
      this.inoperativeScheduled = false;
      this.operative = false;
    }
    await this.sendStatus(1, 'Finishing').catch((error: unknown) => this.unlessGone(error, signal));
    await this.sendStatus(1, this.connectorStatus()).catch((error: unknown) => this.unlessGone(error, signal));
  }

  private sendStopTransaction(transaction: ChargerTransaction): Promise<void> {
    transaction.stopCall ??= (async () => {
      const meter = this.meterReading();
      // The session is over before StopTransaction leaves: from here on nothing is drawn, whatever the answer's
      // delay (a central system may give the freed current to others as soon as it has stored the stop).
      transaction.stopReason ??= 'Local';
      this.advanceMeter();
      this.recordLimit();
      try {
        await this.protocol.stopTransaction(this.protocolSession, transaction, meter);
      } catch (error) {
        transaction.stopCall = undefined;
        // Lost with the connection: sent again after the reconnect, as an event of the offline time.
        if (this.client.state !== RPCClient.OPEN) transaction.endedOffline = true;
        throw error;
      }
      if (this.transaction === transaction) {
        this.transaction = undefined;
        this.reportedChargingStatus = undefined;
        this.advanceMeter();
        this.recordLimit();
      }
      if (typeof transaction.id === 'number') this.smartCharging.transactionEnded(transaction.id);
      // 2.0.1: its TxProfiles end with it too (K01.FR.05); the limits are computed again without them.
      else if (this.chargingProfiles.clear(undefined, { chargingProfilePurpose: 'TxProfile' }) === 'Accepted')
        this.chargingProfiles201Changed();
      this.stats.transactionAcknowledged({
        charger: this.identity,
        phase: 'stopped',
        transactionId: transaction.id,
        meterWh: Math.round(meter.wh),
      });
      this.versionStats.transactionsStopped++;
    })();
    return transaction.stopCall;
  }

  private async sendMeterValues(trigger?: 'Trigger'): Promise<void> {
    const transaction = this.transaction && !this.transaction.stopReason ? this.transaction : undefined;
    await this.protocol.meterValues(this.protocolSession, transaction, this.meterReading(), trigger);
  }

  /** The meter now, and what is drawn. */
  private meterReading(): MeterReading {
    this.advanceMeter();
    return { wh: this.meterWh, powerW: Math.round(this.drawA * NOMINAL_VOLTAGE * PHASES), currentA: this.drawA };
  }

  /** Counts the energy drawn since the last reading, then takes the draw of now. */
  private advanceMeter(): void {
    const now = performance.now();
    this.meterWh += (this.drawA * NOMINAL_VOLTAGE * PHASES * (now - this.meterReadAt)) / 3_600_000;
    this.meterReadAt = now;
    this.drawA = this.currentDrawA();
  }

  /** min(EV demand, the profiles' limit, the charger's maximum); 0 when held below 6 A (IEC 61851: it cannot charge). */
  private currentDrawA(): number {
    if (!this.transaction || this.transaction.stopReason) return 0;
    const limit = Math.min(this.currentLimitA(), MAX_CURRENT_A);
    if (limit < MINIMUM_AC_CURRENT) return 0;
    return Math.min(this.evDemandA, limit);
  }

  /** The limit its profiles set now on connector 1, A per phase (its maximum when none does). */
  currentLimitA(): number {
    return this.smartCharging.limitAt(1, Date.now(), 'A', this.runningTransaction(), PHASES) ?? MAX_CURRENT_A;
  }

  /** Per phase, A, being drawn now. */
  get currentDraw(): number {
    return this.currentDrawA();
  }

  /** The EV wants less (or more): from now on it draws min(this, its limit). */
  setEvDemand(amps: number): void {
    this.advanceMeter();
    this.evDemandA = amps;
    this.drawA = this.currentDrawA();
  }

  /** What it may draw now (0 outside a session), recorded when it changes. */
  private recordLimit(): void {
    const limitA = this.runningTransaction() ? Math.min(this.currentLimitA(), MAX_CURRENT_A) : 0;
    if (this.limitHistory.at(-1)?.limitA === limitA) return;
    this.limitHistory.push({ at: performance.now(), limitA });
    if (this.limitHistory.length > 10_000) this.limitHistory.splice(0, this.limitHistory.length - 10_000);
  }

  /** Charging, or SuspendedEVSE while its limit is below what an EV can charge with. */
  private chargingStatus(): ConnectorStatus {
    return Math.min(this.currentLimitA(), MAX_CURRENT_A) < MINIMUM_AC_CURRENT ? 'SuspendedEVSE' : 'Charging';
  }

  /** Its one connector's status (every connectorId is that connector). */
  connectorStatus(_connectorId = 1): ConnectorStatus {
    if (this.transaction) return this.reportedChargingStatus ?? 'Charging';
    return this.operative ? 'Available' : 'Unavailable';
  }

  // ---- smart charging, OCPP 1.6 (ChargePointControl) ----

  profileCapabilities(): ProfileCapabilities {
    const units = this.configuration
      .text('ChargingScheduleAllowedChargingRateUnit')
      .split(/[,\s]+/)
      .flatMap((name) => (name === 'Current' ? ['A' as const] : name === 'Power' ? ['W' as const] : []));
    return {
      supported: this.configuration.text('SupportedFeatureProfiles').split(',').includes('SmartCharging'),
      maxStackLevel: this.configuration.integer('ChargeProfileMaxStackLevel'),
      allowedUnits: units,
      maxPeriods: this.configuration.integer('ChargingScheduleMaxPeriods'),
      maxInstalled: this.configuration.integer('MaxChargingProfilesInstalled'),
      connectors: this.configuration.integer('NumberOfConnectors'),
    };
  }

  runningTransaction(): RunningTransaction | undefined {
    const transaction = this.transaction;
    if (!transaction || transaction.stopReason) return undefined;
    if (typeof transaction.id === 'string') return { id: STATION_TRANSACTION, startedAt: this.transactionStartedAt };
    if (typeof transaction.id !== 'number') return undefined;
    return { id: transaction.id, startedAt: this.transactionStartedAt };
  }

  // ---- smart charging, OCPP 2.0.1 (ChargingStationControl): its profiles in 2.0.1 shape, the limits computed on
  // their 1.6 translation by the same code as a 1.6 charger's ----

  /** What its device model's SmartChargingCtrlr says it takes. */
  profileCapabilities201(): ProfileCapabilities {
    const read = (name: string, instance?: string) =>
      this.deviceModel.get({ name: 'SmartChargingCtrlr' }, { name, ...(instance && { instance }) }).attributeValue;
    return {
      supported: read('Enabled') === 'true',
      maxStackLevel: Number(read('ProfileStackLevel')),
      allowedUnits: (read('RateUnit') ?? '').split(',').flatMap((unit) => (unit === 'A' || unit === 'W' ? [unit] : [])),
      maxPeriods: Number(read('PeriodsPerSchedule')),
      maxInstalled: this.chargingProfiles.maxEntries,
      connectors: 1,
    };
  }

  setChargingProfile201(evseId: number, profile: ChargingProfile201): 'Accepted' | 'Rejected' {
    const running = this.runningTransaction();
    const translated = toProfile16(profile, running?.id);
    const capabilities = this.profileCapabilities201();
    if (
      !translated ||
      !capabilities.supported ||
      !acceptable(evseId, translated, capabilities, running) ||
      (profile.transactionId !== undefined && profile.transactionId !== this.transactionId())
    )
      return 'Rejected';
    const status = this.chargingProfiles.set(evseId, profile);
    if (status === 'Accepted') this.chargingProfiles201Changed();
    return status;
  }

  clearChargingProfile201(id: number | undefined, criteria: ClearCriteria | undefined): 'Accepted' | 'Unknown' {
    const status = this.chargingProfiles.clear(id, criteria);
    if (status === 'Accepted') this.chargingProfiles201Changed();
    return status;
  }

  /** GetCompositeSchedule (K08) in 2.0.1 shape; Rejected for an EVSE it does not have. */
  compositeSchedule201(evseId: number, durationSec: number, unit: 'A' | 'W' = 'A'): Record<string, unknown> {
    if (evseId > 1 || !this.profileCapabilities201().supported) return { status: 'Rejected' };
    const { scheduleStart, chargingSchedule } = this.smartCharging.composite(
      evseId,
      durationSec,
      unit,
      this.runningTransaction(),
      Date.now(),
      PHASES,
    );
    return { status: 'Accepted', schedule: { evseId, scheduleStart, ...chargingSchedule } };
  }

  private chargingProfiles201Changed(): void {
    const running = this.runningTransaction();
    this.smartCharging.replaceAll(
      this.chargingProfiles.list().flatMap(({ evseId, profile, installedAt }) => {
        const translated = toProfile16(profile, running?.id);
        return translated ? [{ connectorId: evseId, profile: translated, installedAt }] : [];
      }),
    );
    this.profilesChanged();
  }

  profilesChanged(): void {
    this.advanceMeter();
    this.recordLimit();
    if (!this.transaction || this.transaction.stopReason || this.reportedChargingStatus === undefined) return;
    const status = this.chargingStatus();
    if (status === this.reportedChargingStatus) return;
    this.reportedChargingStatus = status;
    this.afterAnswer(() => this.sendStatus(1, status));
  }

  private async sendStatus(connectorId: number, status: ConnectorStatus): Promise<void> {
    await this.protocol.status(this.protocolSession, connectorId, status);
  }

  // ---- answers to the central system (ChargePointControl, ChargingStationControl) ----

  remoteStart(idTag: string, connectorId: number | undefined, remoteStartId?: number): 'Accepted' | 'Rejected' {
    if (
      (connectorId !== undefined && connectorId !== 1) ||
      this.transaction ||
      this.remoteStartRequest !== undefined ||
      !this.operative
    ) {
      return 'Rejected';
    }
    this.remoteStartRequest = { idTag, remoteStartId };
    this.wake();
    return 'Accepted';
  }

  transactionId(): number | string | undefined {
    return this.transaction?.id;
  }

  /** GetBaseReport: NotifyReport in parts of DeviceDataCtrlr.ItemsPerMessage[GetReport], tbc on all but the last. */
  sendReport(requestId: number, base: ReportBase): void {
    this.afterAnswer(async () => {
      const data = this.deviceModel.report(base);
      const size = Math.max(1, this.deviceModel.itemsPerMessage('GetReport'));
      const generatedAt = new Date().toISOString();
      for (let seqNo = 0; seqNo * size < data.length; seqNo++) {
        const part = data.slice(seqNo * size, (seqNo + 1) * size);
        await this.call('NotifyReport', {
          requestId,
          generatedAt,
          seqNo,
          tbc: (seqNo + 1) * size < data.length,
          reportData: part,
        });
      }
    });
  }

  remoteStop(transactionId: number | string): 'Accepted' | 'Rejected' {
    if (!this.transaction || this.transaction.id !== transactionId || this.transaction.stopReason) return 'Rejected';
    this.transaction.stopReason = 'Remote';
    this.wake();
    return 'Accepted';
  }

  reset(type: 'Hard' | 'Soft'): void {
    // After the answer has gone out: end the session, then "reboot" (close, reconnect, boot again).
    setImmediate(() => void this.reboot(type));
  }

  changeAvailability(connectorId: number, type: AvailabilityType): 'Accepted' | 'Rejected' | 'Scheduled' {
    if (connectorId !== 0 && connectorId !== 1) return 'Rejected';
    if (type === 'Inoperative' && this.transaction) {
      this.inoperativeScheduled = true;
      return 'Scheduled';
    }
    this.inoperativeScheduled = false;
    const changed = this.operative !== (type === 'Operative');
    this.operative = type === 'Operative';
    if (changed) {
      this.afterAnswer(async () => {
        await this.sendStatus(0, this.operative ? 'Available' : 'Unavailable');
        await this.sendStatus(1, this.connectorStatus());
      });
      this.wake();
    }
    return 'Accepted';
  }

  unlock(connectorId: number): 'Unlocked' | 'UnlockFailed' | 'NotSupported' {
    if (connectorId !== 1) return 'NotSupported';
    if (this.transaction && !this.transaction.stopReason) {
      this.transaction.stopReason = 'UnlockCommand';
      this.wake();
    }
    return 'Unlocked';
  }

  trigger(message: TriggerableMessage, connectorId: number | undefined): 'Accepted' | 'Rejected' {
    if (connectorId !== undefined && connectorId !== 0 && connectorId !== 1) return 'Rejected';
    this.afterAnswer(async () => {
      switch (message) {
        case 'BootNotification':
          await this.bootOnce('Triggered');
          break;
        case 'Heartbeat':
          await this.protocol.heartbeat(this.protocolSession);
          break;
        case 'StatusNotification':
          if (connectorId !== 1) await this.sendStatus(0, this.operative ? 'Available' : 'Unavailable');
          if (connectorId !== 0) await this.sendStatus(1, this.connectorStatus());
          break;
        case 'MeterValues':
          await this.sendMeterValues();
          break;
        case 'TransactionEvent':
          await this.sendMeterValues('Trigger');
          break;
        case 'DiagnosticsStatusNotification':
        case 'LogStatusNotification':
        case 'FirmwareStatusNotification':
          await this.protocol.idleStatus(this.protocolSession, message);
          break;
      }
    });
    return 'Accepted';
  }

  configurationChanged(key: string): void {
    if (key === 'WebSocketPingInterval') {
      // ocpp-rpc's reconfigure() merges into its options; the cast is for its typings, which want every option.
      this.client.reconfigure({ pingIntervalMs: this.configuration.integer(key) * 1000 } as never);
    }
    // HeartbeatInterval and MeterValueSampleInterval are read at each wait: they apply from the next one.
  }

  private async reboot(type: 'Hard' | 'Soft'): Promise<void> {
    const signal = this.session?.signal;
    if (!signal) return;
    if (this.transaction && !this.transaction.stopReason) {
      this.transaction.stopReason = type === 'Hard' ? 'HardReset' : 'SoftReset';
      this.wake();
      // Let StopTransaction go out before the connection closes.
      while (this.transaction && !signal.aborted) await this.nap(50, signal).catch(() => undefined);
    }
    if (signal.aborted || this.stopping) return;
    this.accepted = false;
    this.rebooting = true;
    this.bootReason = 'RemoteReset';
    this.closingOnPurpose = true;
    this.session?.abort();
    await this.client.close({ code: 1000, reason: `${type} reset` }).catch(() => undefined);
  }

  // ---- plumbing ----

  /** A call to the central system, counted and timed; throws on failure (already counted). */
  private async call<T = unknown>(action: string, payload: Record<string, unknown>): Promise<T> {
    if (this.client.state !== RPCClient.OPEN) throw new ConnectionGoneError();
    // Stopping: only the end of a session in progress still goes out (stop()); a status after it would race the
    // close and count as an error that is not one.
    if (this.stopping && !TRANSACTION_ENDS.has(action)) throw new ConnectionGoneError();
    const stats = this.stats.action(action);
    stats.sent++;
    try {
      const answer = (await this.client.call(action, withQuirks(this.settings.quirks ?? [], action, payload))) as T;
      stats.ok++;
      return answer;
    } catch (error) {
      stats.failed++;
      this.stats.error(action, errorKind(error));
      throw error;
    }
  }

  private afterAnswer(effect: () => Promise<void>): void {
    setImmediate(() => {
      effect().catch((error: unknown) =>
        this.logger.debug({ charger: this.identity, err: error }, 'triggered message failed'),
      );
    });
  }

  /** Rethrows when the connection is gone (the session is over), swallows a failure already counted otherwise. */
  private unlessGone(error: unknown, signal: AbortSignal): void {
    if (this.connectionGone(signal)) throw error;
  }

  private connectionGone(signal: AbortSignal): boolean {
    return signal.aborted || this.client.state !== RPCClient.OPEN;
  }

  /** Message counts and round-trip times, from ocpp-rpc's frame events (so queueing time is not counted). */
  private watchTraffic(): void {
    this.client.on('message', ({ outbound }: { outbound: boolean }) => {
      if (outbound) this.stats.messagesSent++;
      else this.stats.messagesReceived++;
    });
    this.client.on(
      'call',
      ({ outbound, payload }: { outbound: boolean; payload: [number, string, string, unknown] }) => {
        if (outbound) this.inFlight = { id: payload[1], action: payload[2], sentAt: performance.now() };
      },
    );
    this.client.on(
      'response',
      ({ outbound, payload }: { outbound: boolean; payload: [number, string, ...unknown[]] }) => {
        if (outbound || !this.inFlight || payload[1] !== this.inFlight.id) return;
        this.stats.action(this.inFlight.action).rtt.recordMs(performance.now() - this.inFlight.sentAt);
        this.inFlight = undefined;
      },
    );
  }

  /**
   * Waits `ms`, rejecting when `signal` aborts. A wakeable nap also ends early on wake(), which is how a remote
   * start, a remote stop or an accepted boot reach a loop that is waiting.
   */
  private nap(ms: number, signal: AbortSignal, wakeable = false): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(new ConnectionGoneError());
        return;
      }
      let waker: (() => void) | undefined;
      const finish = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (waker) this.wakers.delete(waker);
      };
      const onAbort = () => {
        finish();
        reject(new ConnectionGoneError());
      };
      const timer = setTimeout(
        () => {
          finish();
          resolve();
        },
        Math.max(0, ms),
      );
      signal.addEventListener('abort', onAbort, { once: true });
      if (wakeable) {
        waker = () => {
          finish();
          resolve();
        };
        this.wakers.add(waker);
      }
    });
  }

  private wake(): void {
    const wakers = [...this.wakers];
    this.wakers.clear();
    for (const wake of wakers) wake();
  }
}

/** The connection closed (or the charger stopped) while something waited on it; not an error to count. */
class ConnectionGoneError extends Error {
  constructor() {
    super('connection gone');
    this.name = 'AbortError';
  }
}
