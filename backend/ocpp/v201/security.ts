// OCPP 2.0.1 functional block A (security): SecurityEventNotification and SignCertificate. The certificate code
// (CSR checks, signing, CertificateSigned) is shared with OCPP 1.6's security extension; until a CPO CA is
// configured there is nothing to sign with, and a SignCertificate is answered Rejected.

import { utcTimestamp, type ProfileHandlers } from '../handler.js';

export const securityHandlers: ProfileHandlers = {
  async SecurityEventNotification(payload: { type: string; timestamp: string; techInfo?: string }, context) {
    context.logger.warn(
      { chargePointId: context.chargePointId, type: payload.type, at: payload.timestamp, techInfo: payload.techInfo },
      'security event',
    );
    context.events.emit('security.event', {
      chargePointId: context.chargePointId,
      type: payload.type,
      techInfo: payload.techInfo,
      at: utcTimestamp(payload.timestamp, 'timestamp'),
    });
    return {};
  },

  async SignCertificate(payload: { csr: string; certificateType?: string }, context) {
    context.logger.warn(
      {
        chargePointId: context.chargePointId,
        certificateType: payload.certificateType ?? 'ChargingStationCertificate',
      },
      'certificate signing request rejected: no CPO CA is configured',
    );
    return { status: 'Rejected' };
  },
};
