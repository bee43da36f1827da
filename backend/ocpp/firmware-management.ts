// OCPP 1.6 Firmware Management profile: the status notifications a charger sends while it uploads diagnostics
// (after GetDiagnostics) or installs firmware (after UpdateFirmware). The latest status is kept per charge point.

import type { ProfileHandlers } from './handler.js';

export const firmwareManagementHandlers: ProfileHandlers = {
  async DiagnosticsStatusNotification(payload: { status: string }, context) {
    await context.store.recordDiagnosticsStatus(context.chargePointId, payload.status);
    context.logger.info({ chargePointId: context.chargePointId, status: payload.status }, 'diagnostics status');
    return {};
  },

  async FirmwareStatusNotification(payload: { status: string }, context) {
    await context.store.recordFirmwareStatus(context.chargePointId, payload.status);
    context.logger.info({ chargePointId: context.chargePointId, status: payload.status }, 'firmware status');
    return {};
  },
};
