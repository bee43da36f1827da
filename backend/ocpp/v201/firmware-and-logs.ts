// OCPP 2.0.1 functional block L (firmware): the status notifications a charger sends after UpdateFirmware. The
// latest status is kept per charge point, as for OCPP 1.6 (firmwareStatus). LogStatusNotification (after GetLog) is
// the security extension's, shared with 1.6 (security.ts).

import type { ProfileHandlers } from '../handler.js';

export const firmwareAndLogHandlers: ProfileHandlers = {
  async FirmwareStatusNotification(payload: { status: string; requestId?: number }, context) {
    await context.store.recordFirmwareStatus(context.chargePointId, payload.status);
    context.logger.info(
      { chargePointId: context.chargePointId, status: payload.status, requestId: payload.requestId },
      'firmware status',
    );
    return {};
  },
};

/**
 * Notifications answered with an empty confirmation and kept only in the message log: they report on requests
 * the API sends through POST …/call (GetMonitoringReport, CustomerInformation, GetChargingProfiles,
 * GetDisplayMessages, PublishFirmware) or on features ocpp-edge does not manage yet (docs/OCPP.md). Answering
 * keeps the charger from retrying them forever.
 */
export const acknowledgedNotifications: ProfileHandlers = Object.fromEntries(
  [
    'NotifyMonitoringReport',
    'NotifyCustomerInformation',
    'ReportChargingProfiles',
    'NotifyChargingLimit',
    'ClearedChargingLimit',
    'ReservationStatusUpdate',
    'PublishFirmwareStatusNotification',
    'NotifyDisplayMessages',
  ].map((action) => [action, async () => ({})]),
);
