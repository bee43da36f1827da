// How a simulated charge point answers the central system: every call OCPP 1.6 lets a central system make, with
// the answer a real single-connector charger would give (the OCPP 2.0.1 table is remote-commands-201.ts). Strict
// mode has already checked the request against the OCPP schema, and checks the answer too, so handlers only decide.

import { createRPCError, type RPCClient } from 'ocpp-rpc';
import type { ChargingProfile } from '../../common/charging-profile.js';
import type { ChargerProfiles, ProfileCapabilities, RunningTransaction } from './smart-charging.js';
import type { ChargerConfiguration } from './configuration.js';
import type { LocalAuthList } from './local-list.js';

export type AvailabilityType = 'Operative' | 'Inoperative';
export type TriggerableMessage =
  | 'BootNotification'
  | 'DiagnosticsStatusNotification'
  | 'FirmwareStatusNotification'
  | 'Heartbeat'
  | 'MeterValues'
  | 'StatusNotification'
  | 'LogStatusNotification'
  | 'TransactionEvent';

/** What the handlers may ask of the charger. Effects that send messages run after the answer has gone out. */
export interface ChargePointControl {
  readonly configuration: ChargerConfiguration;
  readonly localList: LocalAuthList;
  /** Reservations held, by reservationId. */
  readonly reservations: Map<number, { connectorId: number; idTag: string; expiryDate: string }>;
  /** The charging profiles it holds. */
  readonly smartCharging: ChargerProfiles;
  /** What its SmartCharging configuration keys allow. */
  profileCapabilities(): ProfileCapabilities;
  runningTransaction(): RunningTransaction | undefined;
  /** A profile was set or cleared: the limit may have changed (draw, status). */
  profilesChanged(): void;
  /** The connector's status now, as last reported. */
  connectorStatus(connectorId: number): string;
  remoteStart(idTag: string, connectorId: number | undefined, remoteStartId?: number): 'Accepted' | 'Rejected';
  remoteStop(transactionId: number | string): 'Accepted' | 'Rejected';
  reset(type: 'Hard' | 'Soft'): void;
  changeAvailability(connectorId: number, type: AvailabilityType): 'Accepted' | 'Rejected' | 'Scheduled';
  unlock(connectorId: number): 'Unlocked' | 'UnlockFailed' | 'NotSupported';
  trigger(message: TriggerableMessage, connectorId: number | undefined): 'Accepted' | 'Rejected';
  /** The id of the transaction in progress, if any. */
  transactionId(): number | string | undefined;
  configurationChanged(key: string): void;
}

type Params = Record<string, unknown>;
type Handler<Charger> = (charger: Charger, params: Params) => Record<string, unknown>;
/** The answers of one OCPP version, by action. */
export type AnswerTable<Charger> = Readonly<Record<string, Handler<Charger>>>;

// One table for every charger, and one wildcard handler per charger: a fleet of 10,000 does not need 190,000
// closures.
export const ocpp16Answers: AnswerTable<ChargePointControl> = {
  RemoteStartTransaction: (charger, p) => ({
    status: charger.remoteStart(p.idTag as string, p.connectorId as number | undefined),
  }),
  RemoteStopTransaction: (charger, p) => ({ status: charger.remoteStop(p.transactionId as number) }),
  Reset: (charger, p) => {
    charger.reset(p.type as 'Hard' | 'Soft');
    return { status: 'Accepted' };
  },
  ChangeAvailability: (charger, p) => ({
    status: charger.changeAvailability(p.connectorId as number, p.type as AvailabilityType),
  }),
  ChangeConfiguration: (charger, p) => {
    const status = charger.configuration.change(p.key as string, p.value as string);
    if (status === 'Accepted') charger.configurationChanged(p.key as string);
    return { status };
  },
  GetConfiguration: (charger, p) => charger.configuration.get(p.key as string[] | undefined),
  ClearCache: () => ({ status: 'Accepted' }),
  UnlockConnector: (charger, p) => ({ status: charger.unlock(p.connectorId as number) }),
  TriggerMessage: (charger, p) => ({
    status: charger.trigger(p.requestedMessage as TriggerableMessage, p.connectorId as number | undefined),
  }),
  // No vendor extensions: the answer OCPP prescribes for a vendorId the charger does not know.
  DataTransfer: () => ({ status: 'UnknownVendorId' }),
  // No file to upload: an empty answer means "no diagnostics available".
  GetDiagnostics: () => ({}),
  UpdateFirmware: () => ({}),
  GetLocalListVersion: (charger) => ({ listVersion: charger.localList.version }),
  SendLocalList: (charger, p) => ({
    status: charger.localList.send(p as never, {
      sendLocalListMaxLength: charger.configuration.integer('SendLocalListMaxLength'),
      localAuthListMaxLength: charger.configuration.integer('LocalAuthListMaxLength'),
    }),
  }),
  // A single-connector charger: connector 0 means connector 1; one reservation per connector, replaced by a
  // ReserveNow with the same id (OCPP 1.6 §5.13).
  ReserveNow: (charger, p) => {
    const connectorId = p.connectorId as number;
    if (connectorId > 1) return { status: 'Rejected' };
    const status = charger.connectorStatus(1);
    if (status === 'Faulted') return { status: 'Faulted' };
    if (status === 'Unavailable') return { status: 'Unavailable' };
    if (status !== 'Available' && status !== 'Reserved') return { status: 'Occupied' };
    for (const [id, held] of charger.reservations)
      if (id !== p.reservationId && held.connectorId === connectorId) return { status: 'Occupied' };
    charger.reservations.set(p.reservationId as number, {
      connectorId,
      idTag: p.idTag as string,
      expiryDate: p.expiryDate as string,
    });
    return { status: 'Accepted' };
  },
  CancelReservation: (charger, p) => ({
    status: charger.reservations.delete(p.reservationId as number) ? 'Accepted' : 'Rejected',
  }),
  SetChargingProfile: (charger, p) => {
    const status = charger.smartCharging.set(
      p.connectorId as number,
      p.csChargingProfiles as ChargingProfile,
      charger.profileCapabilities(),
      charger.runningTransaction(),
    );
    if (status === 'Accepted') charger.profilesChanged();
    return { status };
  },
  ClearChargingProfile: (charger, p) => {
    const status = charger.smartCharging.clear(p);
    if (status === 'Accepted') charger.profilesChanged();
    return { status };
  },
  GetCompositeSchedule: (charger, p) => {
    const connectorId = p.connectorId as number;
    const capabilities = charger.profileCapabilities();
    if (!capabilities.supported || connectorId > capabilities.connectors) return { status: 'Rejected' };
    const unit = (p.chargingRateUnit as 'A' | 'W' | undefined) ?? 'A';
    const composite = charger.smartCharging.composite(
      connectorId,
      p.duration as number,
      unit,
      charger.runningTransaction(),
    );
    return { status: 'Accepted', connectorId, ...composite };
  },
};

export function answerCentralSystem<Charger>(
  client: RPCClient,
  charger: Charger,
  answers: AnswerTable<Charger>,
  onAnswer: (action: string) => void,
): void {
  client.handle(async ({ method, params }) => {
    const handler = Object.hasOwn(answers, method!) ? answers[method!] : undefined;
    if (!handler) throw createRPCError('NotImplemented', `${method} is not implemented by the simulator`);
    onAnswer(method!);
    return handler(charger, (params ?? {}) as Params);
  });
}
