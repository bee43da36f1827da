// OCPP 2.0.1 functional blocks B (provisioning), G (availability) and N (diagnostics, events): the charging station
// boots, beats, reports each connector's status, and describes its device model (NotifyReport, after
// GetBaseReport/GetReport) and what changes in it (NotifyEvent). The device model is the configuration inventory
// shown at GET /api/charge-points/{id}/variables; the events are at …/device-events.

import type { DeviceEvent, DeviceVariable } from '../../store/ocpp201-records.js';
import type { ProfileHandlers } from '../handler.js';
import { utcTimestamp } from '../handler.js';
import { reportKeys } from './device-model-keys.js';

export interface Component {
  name: string;
  instance?: string;
  evse?: { id: number; connectorId?: number };
}

export interface Variable {
  name: string;
  instance?: string;
}

interface ReportData {
  component: Component;
  variable: Variable;
  variableAttribute: Array<{
    type?: string;
    value?: string;
    mutability?: string;
    persistent?: boolean;
    constant?: boolean;
  }>;
  variableCharacteristics?: { unit?: string; dataType?: string; maxLimit?: number };
}

interface EventData {
  eventId: number;
  timestamp: string;
  trigger: string;
  cause?: number;
  actualValue: string;
  techCode?: string;
  techInfo?: string;
  cleared?: boolean;
  transactionId?: string;
  variableMonitoringId?: number;
  eventNotificationType: string;
  component: Component;
  variable: Variable;
}

export const provisioningHandlers: ProfileHandlers = {
  async BootNotification(
    payload: {
      reason: string;
      chargingStation: {
        model: string;
        vendorName: string;
        serialNumber?: string;
        firmwareVersion?: string;
        modem?: { iccid?: string; imsi?: string };
      };
    },
    context,
  ) {
    const now = context.now();
    const station = payload.chargingStation;
    await context.store.recordBoot(
      context.chargePointId,
      {
        vendor: station.vendorName,
        model: station.model,
        serialNumber: station.serialNumber,
        firmwareVersion: station.firmwareVersion,
        iccid: station.modem?.iccid,
        imsi: station.modem?.imsi,
        reason: payload.reason,
      },
      now,
    );
    context.logger.info(
      {
        chargePointId: context.chargePointId,
        vendor: station.vendorName,
        model: station.model,
        reason: payload.reason,
      },
      'boot notification',
    );
    context.events.emit('charger.booted', {
      chargePointId: context.chargePointId,
      vendor: station.vendorName,
      model: station.model,
      serialNumber: station.serialNumber,
      firmwareVersion: station.firmwareVersion,
      reason: payload.reason,
    });
    return { status: 'Accepted', currentTime: now, interval: context.heartbeatInterval };
  },

  async Heartbeat(_payload, context) {
    const now = context.now();
    await context.store.recordHeartbeat(context.chargePointId, now);
    return { currentTime: now };
  },

  async StatusNotification(
    payload: { timestamp: string; connectorStatus: string; evseId: number; connectorId: number },
    context,
  ) {
    const at = utcTimestamp(payload.timestamp, 'timestamp');
    await context.store.recordEvseStatus(
      context.chargePointId,
      { evseId: payload.evseId, connectorId: payload.connectorId, status: payload.connectorStatus, at },
      context.now(),
    );
    context.events.emit('connector.status', {
      chargePointId: context.chargePointId,
      connectorId: payload.evseId,
      evseConnectorId: payload.connectorId,
      status: payload.connectorStatus,
      errorCode: 'NoError',
      at,
    });
    return {};
  },

  async NotifyReport(
    payload: { requestId: number; generatedAt: string; seqNo: number; tbc?: boolean; reportData?: ReportData[] },
    context,
  ) {
    const variables = (payload.reportData ?? []).flatMap((data) =>
      data.variableAttribute.map(
        (attribute): DeviceVariable => ({
          ...componentFields(data.component),
          ...variableFields(data.variable),
          attributeType: attribute.type ?? 'Actual',
          value: attribute.value,
          mutability: attribute.mutability,
          persistent: attribute.persistent,
          constant: attribute.constant,
          dataType: data.variableCharacteristics?.dataType,
          unit: data.variableCharacteristics?.unit,
        }),
      ),
    );
    await context.store.upsertDeviceVariables(context.chargePointId, variables, 'NotifyReport', context.now());
    await context.deviceReports?.reportPart(
      context.chargePointId,
      { requestId: payload.requestId, seqNo: payload.seqNo, tbc: payload.tbc ?? false },
      reportKeys(payload.reportData ?? []),
    );
    context.logger.info(
      {
        chargePointId: context.chargePointId,
        requestId: payload.requestId,
        seqNo: payload.seqNo,
        tbc: payload.tbc ?? false,
        variables: variables.length,
      },
      'device model report',
    );
    return {};
  },

  async NotifyEvent(payload: { generatedAt: string; seqNo: number; tbc?: boolean; eventData: EventData[] }, context) {
    const events = payload.eventData.map(
      (event): DeviceEvent => ({
        eventId: event.eventId,
        timestamp: utcTimestamp(event.timestamp, 'eventData.timestamp'),
        trigger: event.trigger,
        notificationType: event.eventNotificationType,
        ...componentFields(event.component),
        ...variableFields(event.variable),
        actualValue: event.actualValue,
        cleared: event.cleared ?? false,
        cause: event.cause,
        techCode: event.techCode,
        techInfo: event.techInfo,
        transactionId: event.transactionId,
        variableMonitoringId: event.variableMonitoringId,
      }),
    );
    await context.store.addDeviceEvents(context.chargePointId, events, context.now());
    for (const event of events) {
      // Problem=true events (faults) are what an operator is paged for; the rest is the device's chatter.
      if (event.variable === 'Problem' && event.actualValue.toLowerCase() === 'true')
        context.logger.warn({ chargePointId: context.chargePointId, ...event }, 'charger reports a problem');
    }
    return {};
  },

  async DataTransfer(payload: { vendorId: string; messageId?: string }, context) {
    // No vendor extensions are implemented; the frame itself is kept in the message log.
    context.logger.info(
      { chargePointId: context.chargePointId, vendorId: payload.vendorId, messageId: payload.messageId },
      'data transfer',
    );
    return { status: 'UnknownVendorId' };
  },
};

export function componentFields(
  component: Component,
): Pick<DeviceVariable, 'component' | 'componentInstance' | 'evseId' | 'evseConnectorId'> {
  return {
    component: component.name,
    componentInstance: component.instance,
    evseId: component.evse?.id,
    evseConnectorId: component.evse?.connectorId,
  };
}

export function variableFields(variable: Variable): Pick<DeviceVariable, 'variable' | 'variableInstance'> {
  return { variable: variable.name, variableInstance: variable.instance };
}
