// Calls the central system sends to a charger, as the REST API offers them. Each command's REST body is the OCPP
// payload itself, so its route schema is the OCPP 1.6 request schema and the answer is the charger's .conf.

export interface Command {
  /** Path segment under /api/charge-points/{id}/. */
  route: string;
  action: string;
  profile: 'Core' | 'Firmware Management' | 'Remote Trigger' | 'Smart Charging';
  summary: string;
}

export const COMMANDS: readonly Command[] = [
  {
    route: 'remote-start',
    action: 'RemoteStartTransaction',
    profile: 'Core',
    summary: 'Ask the charger to start a transaction for an id tag',
  },
  {
    route: 'remote-stop',
    action: 'RemoteStopTransaction',
    profile: 'Core',
    summary: 'Ask the charger to stop a running transaction',
  },
  { route: 'reset', action: 'Reset', profile: 'Core', summary: 'Reboot the charger (Soft or Hard)' },
  {
    route: 'change-availability',
    action: 'ChangeAvailability',
    profile: 'Core',
    summary: 'Make a connector (0: the whole charger) Operative or Inoperative',
  },
  { route: 'clear-cache', action: 'ClearCache', profile: 'Core', summary: "Clear the charger's authorization cache" },
  { route: 'unlock-connector', action: 'UnlockConnector', profile: 'Core', summary: 'Unlock a connector' },
  {
    route: 'trigger-message',
    action: 'TriggerMessage',
    profile: 'Remote Trigger',
    summary: 'Ask the charger to send a message now (BootNotification, Heartbeat, StatusNotification, ...)',
  },
  {
    route: 'get-diagnostics',
    action: 'GetDiagnostics',
    profile: 'Firmware Management',
    summary: 'Ask the charger to upload diagnostics to a URL',
  },
  {
    route: 'update-firmware',
    action: 'UpdateFirmware',
    profile: 'Firmware Management',
    summary: 'Ask the charger to download and install firmware',
  },
  {
    route: 'set-charging-profile',
    action: 'SetChargingProfile',
    profile: 'Smart Charging',
    summary: 'Install a charging profile (a power or current limit over time) on a connector or the whole charger',
  },
  {
    route: 'clear-charging-profile',
    action: 'ClearChargingProfile',
    profile: 'Smart Charging',
    summary: 'Remove charging profiles by id or by connector, purpose and stack level',
  },
];

/** Every OCPP 2.0.1 call a CSMS may send, for POST …/call to a 2.0.1 charger. */
export const CSMS_ACTIONS_201 = [
  'CancelReservation',
  'CertificateSigned',
  'ChangeAvailability',
  'ClearCache',
  'ClearChargingProfile',
  'ClearDisplayMessage',
  'ClearVariableMonitoring',
  'CostUpdated',
  'CustomerInformation',
  'DataTransfer',
  'DeleteCertificate',
  'GetBaseReport',
  'GetChargingProfiles',
  'GetCompositeSchedule',
  'GetDisplayMessages',
  'GetInstalledCertificateIds',
  'GetLocalListVersion',
  'GetLog',
  'GetMonitoringReport',
  'GetReport',
  'GetTransactionStatus',
  'GetVariables',
  'InstallCertificate',
  'PublishFirmware',
  'RequestStartTransaction',
  'RequestStopTransaction',
  'ReserveNow',
  'Reset',
  'SendLocalList',
  'SetChargingProfile',
  'SetDisplayMessage',
  'SetMonitoringBase',
  'SetMonitoringLevel',
  'SetNetworkProfile',
  'SetVariableMonitoring',
  'SetVariables',
  'TriggerMessage',
  'UnlockConnector',
  'UnpublishFirmware',
  'UpdateFirmware',
] as const;

/** Every OCPP 1.6 call a central system may send (core profiles plus the security extension), for POST …/call. */
export const CENTRAL_SYSTEM_ACTIONS = [
  'CancelReservation',
  'CertificateSigned',
  'ChangeAvailability',
  'ChangeConfiguration',
  'ClearCache',
  'ClearChargingProfile',
  'DataTransfer',
  'DeleteCertificate',
  'ExtendedTriggerMessage',
  'GetCompositeSchedule',
  'GetConfiguration',
  'GetDiagnostics',
  'GetInstalledCertificateIds',
  'GetLocalListVersion',
  'GetLog',
  'InstallCertificate',
  'RemoteStartTransaction',
  'RemoteStopTransaction',
  'ReserveNow',
  'Reset',
  'SendLocalList',
  'SetChargingProfile',
  'SignedUpdateFirmware',
  'TriggerMessage',
  'UnlockConnector',
  'UpdateFirmware',
] as const;
