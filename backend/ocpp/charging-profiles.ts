// Smart Charging profile (OCPP 1.6 §3.13, §5.5, §5.7, §5.16): the charging profiles the central system gives a
// charger, kept per charger and connector with the charger's answer.
//   set:   checked against what the charger said it can do (SupportedFeatureProfiles, ChargeProfileMaxStackLevel,
//          ChargingScheduleAllowedChargingRateUnit, ChargingScheduleMaxPeriods), sent with SetChargingProfile, stored.
//   clear: ClearChargingProfile by id or by connector / purpose / stack level; what the charger cleared is removed.
//   after a reboot: every Accepted profile is sent again (a charger may lose them with its volatile state), except
//          TxProfiles, which ended with their transaction (and are removed when it stops).
//   GetCompositeSchedule: asked of the charger, returned as it answered.
// An OCPP 2.0.1 charger gets the same profiles translated (EVSE for connector, ChargingStationMaxProfile, its own
// transactionId); they are stored in the 1.6 shape, so the group balancer and the API see one model.

import type { ChargingProfile, ChargingRateUnit } from '../../common/charging-profile.js';
import type { Logger } from '../../common/logger.js';
import type { EventBus } from '../events/bus.js';
import type {
  ChargingProfileStore,
  ClearCriteria,
  ProfileStatus,
  StoredChargingProfile,
} from '../store/charging-profile-store.js';
import type { Store } from '../store/store.js';
import { supportsProfile, type ChargerLimits } from './charger-limits.js';
import type { ConfigurationInventory } from './configuration-inventory.js';
import type { ObservedConnections } from './observed-connections.js';
import { toV201Call } from './v201/commands.js';

/** chargingProfileIds from here up are the group balancer's (backend/smart-charging/), below are the operator's. */
export const BALANCER_PROFILE_IDS = 1_000_000;

export interface ChargingProfileOptions {
  store: ChargingProfileStore;
  core: Store;
  inventory: ConfigurationInventory;
  connections: ObservedConnections;
  bus: EventBus;
  logger: Logger;
  callTimeoutMs: number;
}

/** The profile cannot go to this charger as it is; nothing was sent. `reason` says why, for a person. */
export class ProfileRefusedError extends Error {
  constructor(
    /** NotSupported: the charger has no Smart Charging; Invalid: the profile breaks the charger's limits. */
    readonly kind: 'NotSupported' | 'Invalid',
    message: string,
  ) {
    super(message);
    this.name = 'ProfileRefusedError';
  }
}

export interface SetRequest {
  chargePointId: string;
  connectorId: number;
  /** chargingProfileId optional: the next free one of the charger is given. */
  profile: Omit<ChargingProfile, 'chargingProfileId'> & { chargingProfileId?: number };
  source?: string;
}

/** OCPP 1.6 ClearChargingProfile's fields (2.0.1's are others: its payloads are not this store's). */
const CLEAR_CRITERIA = new Set(['id', 'connectorId', 'chargingProfilePurpose', 'stackLevel']);

const UNIT_NAMES: Record<string, ChargingRateUnit> = { current: 'A', power: 'W', a: 'A', w: 'W' };

export class ChargingProfiles {
  private readonly unsubscribe: () => void;
  /** Payloads this module sent (it stores their answers itself); the others came through POST …/call. */
  private readonly own = new WeakSet<object>();

  constructor(private readonly options: ChargingProfileOptions) {
    this.unsubscribe = options.bus.on('transaction.stopped', async (event) => {
      await options.store.dropTransactionProfiles(event.data.chargePointId, event.data.transactionId);
    });
    // A profile set or cleared by hand (…/set-charging-profile, …/call) is recorded as well, so the store stays
    // what the charger holds whoever sent it.
    options.connections.observe((chargePointId, action, payload, answer) =>
      this.own.has(payload as object)
        ? undefined
        : this.heard(chargePointId, action, payload as Record<string, unknown>, answer as { status?: string }),
    );
  }

  close(): void {
    this.unsubscribe();
  }

  /** Checks, sends SetChargingProfile and stores the answer. Throws ProfileRefusedError (nothing sent) or what the
   * call threw (stored as Failed when the charger had no Accepted profile of that id). */
  async set(request: SetRequest): Promise<{ status: ProfileStatus; stored: StoredChargingProfile }> {
    const { chargePointId, connectorId } = request;
    const limits = await this.options.inventory.limits(chargePointId);
    const chargingProfileId =
      request.profile.chargingProfileId ??
      (await this.options.store.nextProfileId(chargePointId, BALANCER_PROFILE_IDS));
    const profile: ChargingProfile = { ...request.profile, chargingProfileId };
    checkProfile(connectorId, profile, limits);
    const entry = { chargePointId, connectorId, profile, source: request.source ?? 'api' };
    let status: ProfileStatus;
    try {
      const answer = (await this.send(chargePointId, 'SetChargingProfile', {
        connectorId,
        csChargingProfiles: profile,
      })) as { status: ProfileStatus };
      status = answer.status;
    } catch (error) {
      await this.options.store.record(entry, 'Failed', (error as Error).message, new Date().toISOString());
      throw error;
    }
    const stored = await this.options.store.record(entry, status, null, new Date().toISOString());
    this.options.logger.info(
      { chargePointId, connectorId, chargingProfileId, purpose: profile.chargingProfilePurpose, status },
      'charging profile set',
    );
    return { status, stored };
  }

  /** Sends ClearChargingProfile; Accepted or Unknown (the charger had none of them), the store follows. */
  async clear(chargePointId: string, criteria: ClearCriteria): Promise<{ status: string; removed: number }> {
    const answer = (await this.send(chargePointId, 'ClearChargingProfile', { ...criteria })) as { status: string };
    // Unknown: nothing on the charger matched, so none of our records of such profiles is true any more either.
    const removed =
      answer.status === 'Accepted' || answer.status === 'Unknown'
        ? await this.options.store.clear(chargePointId, criteria)
        : 0;
    this.options.logger.info({ chargePointId, criteria, status: answer.status, removed }, 'charging profiles cleared');
    return { status: answer.status, removed };
  }

  /** GetCompositeSchedule as the charger answers it. */
  async compositeSchedule(
    chargePointId: string,
    request: { connectorId: number; duration: number; chargingRateUnit?: ChargingRateUnit },
  ): Promise<Record<string, unknown>> {
    if ((await this.options.core.getChargePoint(chargePointId))?.ocppVersion === '2.0.1') {
      const { connectorId, ...rest } = request;
      const answer = (await this.options.connections.call(
        chargePointId,
        'GetCompositeSchedule',
        { evseId: connectorId, ...rest },
        { timeoutMs: this.options.callTimeoutMs },
      )) as { status: string; schedule?: Record<string, unknown> };
      // 2.0.1's CompositeScheduleType (K08) in the API's (1.6) shape: evseId as connectorId, the schedule's fields.
      if (!answer.schedule) return { status: answer.status };
      const { evseId, scheduleStart, ...chargingSchedule } = answer.schedule;
      return { status: answer.status, connectorId: evseId, scheduleStart, chargingSchedule };
    }
    return (await this.options.connections.call(chargePointId, 'GetCompositeSchedule', request, {
      timeoutMs: this.options.callTimeoutMs,
    })) as Record<string, unknown>;
  }

  /** Sends a 1.6 payload in the charger's version (OCPP 2.0.1: translated, backend/ocpp/v201/commands.ts). */
  private async send(chargePointId: string, action: string, payload: Record<string, unknown>): Promise<unknown> {
    const version = (await this.options.core.getChargePoint(chargePointId))?.ocppVersion;
    const call =
      version === '2.0.1'
        ? await toV201Call(action, payload, { chargePointId, store: this.options.core })
        : { action, payload };
    this.own.add(call.payload);
    return this.options.connections.call(chargePointId, call.action, call.payload, {
      timeoutMs: this.options.callTimeoutMs,
    });
  }

  private async heard(
    chargePointId: string,
    action: string,
    payload: Record<string, unknown>,
    answer: { status?: string },
  ): Promise<void> {
    const now = new Date().toISOString();
    if (action === 'SetChargingProfile' && isOcpp16Set(payload) && answer.status)
      await this.options.store.record(
        { chargePointId, connectorId: payload.connectorId, profile: payload.csChargingProfiles, source: 'call' },
        answer.status as ProfileStatus,
        null,
        now,
      );
    if (
      action === 'ClearChargingProfile' &&
      Object.keys(payload).every((key) => CLEAR_CRITERIA.has(key)) &&
      (answer.status === 'Accepted' || answer.status === 'Unknown')
    )
      await this.options.store.clear(chargePointId, payload as ClearCriteria);
  }

  /** After a reboot: the stored Accepted profiles again, TxProfiles of transactions no longer running dropped. */
  async resend(chargePointId: string): Promise<{ sent: number; accepted: number }> {
    const running = await this.options.core.listTransactions({ chargePointId, active: true, limit: 100 });
    await this.options.store.dropStaleTransactionProfiles(
      chargePointId,
      running.map((transaction) => transaction.id),
    );
    const held = await this.options.store.list(chargePointId, { status: 'Accepted' });
    let accepted = 0;
    for (const stored of held) {
      const { status } = await this.set({
        chargePointId,
        connectorId: stored.connectorId,
        profile: stored.profile,
        source: stored.source,
      });
      if (status === 'Accepted') accepted++;
    }
    if (held.length > 0) this.options.logger.info({ chargePointId, sent: held.length, accepted }, 'profiles re-sent');
    return { sent: held.length, accepted };
  }
}

/** Is this a 1.6 SetChargingProfile / ClearChargingProfile payload (2.0.1 ones have other fields)? */
function isOcpp16Set(
  payload: Record<string, unknown>,
): payload is { connectorId: number; csChargingProfiles: ChargingProfile } {
  return typeof payload.connectorId === 'number' && typeof payload.csChargingProfiles === 'object';
}

/** What the charger's configuration says it takes; throws ProfileRefusedError. */
function checkProfile(connectorId: number, profile: ChargingProfile, limits: ChargerLimits): void {
  if (!supportsProfile(limits, 'SmartCharging'))
    throw new ProfileRefusedError(
      'NotSupported',
      'the charger does not list SmartCharging in SupportedFeatureProfiles',
    );
  const purpose = profile.chargingProfilePurpose;
  if (purpose === 'ChargePointMaxProfile' && connectorId !== 0)
    throw new ProfileRefusedError('Invalid', 'a ChargePointMaxProfile is set on connector 0');
  if (purpose === 'TxProfile' && connectorId === 0)
    throw new ProfileRefusedError('Invalid', 'a TxProfile is set on the connector of its transaction, not 0');
  if (purpose !== 'TxProfile' && profile.transactionId !== undefined)
    throw new ProfileRefusedError('Invalid', 'transactionId belongs to a TxProfile only');
  if (limits.chargeProfileMaxStackLevel !== null && profile.stackLevel > limits.chargeProfileMaxStackLevel)
    throw new ProfileRefusedError(
      'Invalid',
      `stackLevel ${profile.stackLevel} is above the charger's ChargeProfileMaxStackLevel ${limits.chargeProfileMaxStackLevel}`,
    );
  const units = limits.chargingScheduleAllowedChargingRateUnit
    ?.map((name) => UNIT_NAMES[name.toLowerCase()])
    .filter(Boolean);
  const unit = profile.chargingSchedule.chargingRateUnit;
  if (units && units.length > 0 && !units.includes(unit))
    throw new ProfileRefusedError(
      'Invalid',
      `the charger takes schedules in ${units.join(', ')} only (ChargingScheduleAllowedChargingRateUnit)`,
    );
  const periods = profile.chargingSchedule.chargingSchedulePeriod.length;
  if (limits.chargingScheduleMaxPeriods !== null && periods > limits.chargingScheduleMaxPeriods)
    throw new ProfileRefusedError(
      'Invalid',
      `${periods} periods is more than the charger's ChargingScheduleMaxPeriods ${limits.chargingScheduleMaxPeriods}`,
    );
}
