// The REST commands for an OCPP 2.0.1 charger. A route keeps its name where the concept is the same in both
// versions (remote-start is RequestStartTransaction, get-diagnostics is GetLog, ...), and its body may be either
// the 2.0.1 payload itself or the 1.6 one, which is translated here: an operator with a mixed fleet can send the
// same body to every charger. Translations follow the field mappings of OCPP 2.0.1 Part 0 (1.6 connector = 2.0.1
// EVSE); where 2.0.1 needs what 1.6 lacks (remoteStartId, requestId), it is generated.

import { randomInt } from 'node:crypto';
import type { Store } from '../../store/store.js';
import { ocpp16Validator, ocpp201Validator } from '../validator.js';

/** A body neither version's schema accepts, or one naming what this charger does not have: the caller's 400. */
export class CommandInputError extends Error {
  constructor(
    message: string,
    readonly code = 'FormatViolation',
  ) {
    super(message);
    this.name = 'CommandInputError';
  }
}

export interface CommandTarget {
  chargePointId: string;
  store: Store;
}

type Body = Record<string, any>;

interface V201Command {
  action: string;
  /** From the 1.6 body to the 2.0.1 payload. */
  translate?: (body: Body, target: CommandTarget) => Promise<Body> | Body;
}

/** By OCPP 1.6 action: how each REST command reaches a 2.0.1 charger. */
const V201_COMMANDS: Readonly<Record<string, V201Command>> = {
  RemoteStartTransaction: {
    action: 'RequestStartTransaction',
    translate: async (body, target) => ({
      // A token the central system hands out (OCPP 2.0.1 IdTokenEnumType "Central").
      idToken: { idToken: body.idTag, type: 'Central' },
      remoteStartId: requestId(),
      ...(body.connectorId > 0 && { evseId: body.connectorId }),
      ...(body.chargingProfile && { chargingProfile: await chargingProfile201(body.chargingProfile, target) }),
    }),
  },
  RemoteStopTransaction: {
    action: 'RequestStopTransaction',
    translate: async (body, target) => ({ transactionId: await chargerTransactionId(body.transactionId, target) }),
  },
  Reset: {
    action: 'Reset',
    // 1.6 Soft ends transactions gracefully before rebooting; the closest 2.0.1 type waits for them (OnIdle).
    translate: (body) => ({ type: body.type === 'Hard' ? 'Immediate' : 'OnIdle' }),
  },
  ChangeAvailability: {
    action: 'ChangeAvailability',
    translate: (body) => ({
      operationalStatus: body.type,
      ...(body.connectorId > 0 && { evse: { id: body.connectorId } }),
    }),
  },
  ClearCache: { action: 'ClearCache', translate: () => ({}) },
  UnlockConnector: {
    action: 'UnlockConnector',
    // A 1.6 connector is an EVSE with one connector.
    translate: (body) => ({ evseId: body.connectorId, connectorId: 1 }),
  },
  TriggerMessage: {
    action: 'TriggerMessage',
    translate: (body) => ({
      requestedMessage:
        body.requestedMessage === 'DiagnosticsStatusNotification' ? 'LogStatusNotification' : body.requestedMessage,
      ...(body.connectorId > 0 && { evse: { id: body.connectorId } }),
    }),
  },
  GetDiagnostics: {
    action: 'GetLog',
    translate: (body) => ({
      logType: 'DiagnosticsLog',
      requestId: requestId(),
      log: {
        remoteLocation: body.location,
        ...(body.startTime && { oldestTimestamp: body.startTime }),
        ...(body.stopTime && { latestTimestamp: body.stopTime }),
      },
      ...retries(body),
    }),
  },
  UpdateFirmware: {
    action: 'UpdateFirmware',
    translate: (body) => ({
      requestId: requestId(),
      firmware: { location: body.location, retrieveDateTime: body.retrieveDate },
      ...retries(body),
    }),
  },
  SetChargingProfile: {
    action: 'SetChargingProfile',
    translate: async (body, target) => ({
      evseId: body.connectorId,
      chargingProfile: await chargingProfile201(body.csChargingProfiles, target),
    }),
  },
  ClearChargingProfile: {
    action: 'ClearChargingProfile',
    translate: (body) => {
      const criteria = {
        ...(body.connectorId !== undefined && { evseId: body.connectorId }),
        ...(body.chargingProfilePurpose && { chargingProfilePurpose: purpose201(body.chargingProfilePurpose) }),
        ...(body.stackLevel !== undefined && { stackLevel: body.stackLevel }),
      };
      return {
        ...(body.id !== undefined && { chargingProfileId: body.id }),
        ...(Object.keys(criteria).length > 0 && { chargingProfileCriteria: criteria }),
      };
    },
  },
  DataTransfer: { action: 'DataTransfer' },
  GetVariables: { action: 'GetVariables' },
  SetVariables: { action: 'SetVariables' },
  GetBaseReport: { action: 'GetBaseReport' },
};

/**
 * The 2.0.1 call for a REST command: the body as it is when it is already a valid 2.0.1 payload, else the 1.6 body
 * translated. Throws CommandInputError when the command has no 2.0.1 counterpart or the result is not valid 2.0.1.
 */
export async function toV201Call(
  action16: string,
  body: Body,
  target: CommandTarget,
): Promise<{ action: string; payload: Body }> {
  const command = V201_COMMANDS[action16];
  if (!command) {
    const instead = /Configuration$/.test(action16) ? '…/get-variables and …/set-variables' : 'POST …/call';
    throw new CommandInputError(`${action16} has no OCPP 2.0.1 counterpart; use ${instead}`);
  }
  if (isValid201(command.action, body)) return { action: command.action, payload: body };
  if (command.translate) {
    // Only a valid 1.6 body is translated: "Gentle" is no reset type in either version.
    try {
      await ocpp16Validator.validate(`urn:${action16}.req`, body);
    } catch (error) {
      throw new CommandInputError(
        `the body is neither an OCPP 2.0.1 ${command.action} nor a valid 1.6 ${action16}: ${(error as Error).message}`,
      );
    }
  }
  const payload = command.translate ? await command.translate(body, target) : body;
  try {
    ocpp201Validator.validate(`urn:${command.action}.req`, payload);
  } catch (error) {
    throw new CommandInputError(
      command.translate
        ? `the body is neither an OCPP 2.0.1 ${command.action} nor a 1.6 ${action16} that maps onto one: ${(error as Error).message}`
        : `not an OCPP 2.0.1 ${command.action}: ${(error as Error).message}`,
    );
  }
  return { action: command.action, payload };
}

export function isValid201(action: string, payload: unknown): boolean {
  try {
    ocpp201Validator.validate(`urn:${action}.req`, payload);
    return true;
  } catch {
    return false;
  }
}

/** Our transaction id (the one the API lists) or the charger's own (a string) → the charger's own. */
async function chargerTransactionId(id: unknown, target: CommandTarget): Promise<string> {
  if (typeof id === 'string') return id;
  const transaction = typeof id === 'number' ? await target.store.getTransaction(id) : undefined;
  if (!transaction || transaction.chargePointId !== target.chargePointId || !transaction.chargerTransactionId)
    throw new CommandInputError(
      `transaction ${String(id)} is not an OCPP 2.0.1 transaction of ${target.chargePointId}`,
    );
  return transaction.chargerTransactionId;
}

function purpose201(purpose: string): string {
  return purpose === 'ChargePointMaxProfile' ? 'ChargingStationMaxProfile' : purpose;
}

/** A 1.6 csChargingProfiles as a 2.0.1 ChargingProfileType (one schedule, its id the profile's). */
async function chargingProfile201(profile: Body, target: CommandTarget): Promise<Body> {
  const schedule = profile.chargingSchedule ?? {};
  return {
    id: profile.chargingProfileId,
    stackLevel: profile.stackLevel,
    chargingProfilePurpose: purpose201(profile.chargingProfilePurpose),
    chargingProfileKind: profile.chargingProfileKind,
    ...(profile.recurrencyKind && { recurrencyKind: profile.recurrencyKind }),
    ...(profile.validFrom && { validFrom: profile.validFrom }),
    ...(profile.validTo && { validTo: profile.validTo }),
    ...(profile.transactionId !== undefined && {
      transactionId: await chargerTransactionId(profile.transactionId, target),
    }),
    chargingSchedule: [
      {
        id: profile.chargingProfileId,
        chargingRateUnit: schedule.chargingRateUnit,
        chargingSchedulePeriod: schedule.chargingSchedulePeriod,
        ...(schedule.duration !== undefined && { duration: schedule.duration }),
        ...(schedule.startSchedule && { startSchedule: schedule.startSchedule }),
        ...(schedule.minChargingRate !== undefined && { minChargingRate: schedule.minChargingRate }),
      },
    ],
  };
}

function retries(body: Body): Body {
  return {
    ...(body.retries !== undefined && { retries: body.retries }),
    ...(body.retryInterval !== undefined && { retryInterval: body.retryInterval }),
  };
}

/** remoteStartId / requestId: any integer the charger echoes back in its notifications. */
function requestId(): number {
  return randomInt(1, 2 ** 31 - 1);
}
