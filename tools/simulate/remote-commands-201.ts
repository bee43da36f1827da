// How a simulated OCPP 2.0.1 charging station (one EVSE, one connector) answers the central system: the same
// decisions as the 1.6 table (remote-commands.ts) in 2.0.1's words, plus its device model (GetVariables,
// SetVariables, GetBaseReport → NotifyReport in parts) and the charging profiles it keeps.

import type { ChargingProfile, ChargingProfiles, ClearCriteria } from './charging-profiles.js';
import type { ComponentRef, DeviceModel, ReportBase, VariableRef } from './device-model.js';
import type { AnswerTable, AvailabilityType, ChargePointControl, TriggerableMessage } from './remote-commands.js';

export interface ChargingStationControl extends ChargePointControl {
  readonly deviceModel: DeviceModel;
  readonly chargingProfiles: ChargingProfiles;
  /** SetChargingProfile checked against its SmartChargingCtrlr, kept, and followed. */
  setChargingProfile201(evseId: number, profile: ChargingProfile): 'Accepted' | 'Rejected';
  clearChargingProfile201(id: number | undefined, criteria: ClearCriteria | undefined): 'Accepted' | 'Unknown';
  compositeSchedule201(evseId: number, durationSec: number, unit?: 'A' | 'W'): Record<string, unknown>;
  /** Sends the report as NotifyReport parts, after the GetBaseReport answer has gone out. */
  sendReport(requestId: number, base: ReportBase): void;
}

interface VariableRequest {
  component: ComponentRef;
  variable: VariableRef;
  attributeType?: string;
  attributeValue?: string;
}

/** TriggerMessage requests the station can send; the rest (ISO 15118 certificates, ...) are NotImplemented. */
const TRIGGERABLE = new Set<TriggerableMessage>([
  'BootNotification',
  'Heartbeat',
  'StatusNotification',
  'MeterValues',
  'FirmwareStatusNotification',
  'LogStatusNotification',
  'TransactionEvent',
]);

export const ocpp201Answers: AnswerTable<ChargingStationControl> = {
  RequestStartTransaction: (station, p) => {
    const idToken = p.idToken as { idToken: string };
    return { status: station.remoteStart(idToken.idToken, p.evseId as number | undefined, p.remoteStartId as number) };
  },
  RequestStopTransaction: (station, p) => ({ status: station.remoteStop(p.transactionId as string) }),
  Reset: (station, p) => {
    // Only the whole station resets; Immediate ends a transaction at once, OnIdle (Soft) ends it first too.
    if (p.evseId !== undefined) return { status: 'Rejected' };
    station.reset(p.type === 'Immediate' ? 'Hard' : 'Soft');
    return { status: 'Accepted' };
  },
  ChangeAvailability: (station, p) => {
    const evse = p.evse as { id: number } | undefined;
    return { status: station.changeAvailability(evse?.id ?? 0, p.operationalStatus as AvailabilityType) };
  },
  UnlockConnector: (station, p) => {
    if (p.evseId !== 1 || p.connectorId !== 1) return { status: 'UnknownConnector' };
    // 2.0.1 F05: a connector of an authorized transaction is not unlocked; the transaction is stopped first.
    if (station.transactionId() !== undefined) return { status: 'OngoingAuthorizedTransaction' };
    return { status: station.unlock(1) };
  },
  TriggerMessage: (station, p) => {
    const message = p.requestedMessage as TriggerableMessage;
    if (!TRIGGERABLE.has(message)) return { status: 'NotImplemented' };
    if (message === 'TransactionEvent' && station.transactionId() === undefined) return { status: 'Rejected' };
    const evse = p.evse as { id: number } | undefined;
    return { status: station.trigger(message, evse?.id) };
  },
  GetVariables: (station, p) => {
    const requests = p.getVariableData as VariableRequest[];
    return {
      getVariableResult: requests.map((request) => {
        const attributeType = request.attributeType ?? 'Actual';
        const result = station.deviceModel.get(request.component, request.variable, attributeType);
        return { ...result, attributeType, component: request.component, variable: request.variable };
      }),
    };
  },
  SetVariables: (station, p) => {
    const requests = p.setVariableData as VariableRequest[];
    return {
      setVariableResult: requests.map((request) => {
        const attributeType = request.attributeType ?? 'Actual';
        const { attributeStatus, key } = station.deviceModel.set(
          request.component,
          request.variable,
          request.attributeValue!,
          attributeType,
        );
        if (key) station.configurationChanged(key);
        return { attributeStatus, attributeType, component: request.component, variable: request.variable };
      }),
    };
  },
  GetBaseReport: (station, p) => {
    const base = p.reportBase as ReportBase;
    if (station.deviceModel.report(base).length === 0) return { status: 'EmptyResultSet' };
    station.sendReport(p.requestId as number, base);
    return { status: 'Accepted' };
  },
  SetChargingProfile: (station, p) => ({
    status: station.setChargingProfile201(p.evseId as number, p.chargingProfile as ChargingProfile),
  }),
  ClearChargingProfile: (station, p) => ({
    status: station.clearChargingProfile201(
      p.chargingProfileId as number | undefined,
      p.chargingProfileCriteria as ClearCriteria | undefined,
    ),
  }),
  GetCompositeSchedule: (station, p) =>
    station.compositeSchedule201(p.evseId as number, p.duration as number, p.chargingRateUnit as 'A' | 'W' | undefined),
  ClearCache: () => ({ status: 'Accepted' }),
  DataTransfer: () => ({ status: 'UnknownVendorId' }),
  GetLocalListVersion: (station) => ({ versionNumber: station.localList.version }),
  SendLocalList: (station, p) => {
    const entries =
      (p.localAuthorizationList as Array<{ idToken: { idToken: string }; idTokenInfo?: { status: string } }>) ?? [];
    return {
      status: station.localList.send(
        {
          listVersion: p.versionNumber as number,
          updateType: p.updateType as 'Full' | 'Differential',
          localAuthorizationList: entries.map((entry) => ({
            idTag: entry.idToken.idToken,
            idTagInfo: entry.idTokenInfo,
          })),
        },
        {
          sendLocalListMaxLength: station.configuration.integer('SendLocalListMaxLength'),
          localAuthListMaxLength: station.configuration.integer('LocalAuthListMaxLength'),
        },
      ),
    };
  },
  // No file to upload or firmware to install: refused as a station without the means would.
  GetLog: () => ({ status: 'Rejected' }),
  UpdateFirmware: () => ({ status: 'Rejected' }),
};
