// The OCPP 1.6 security extension (Security Whitepaper edition 3): the four calls a charger makes.
//   SecurityEventNotification          stored, counted by type, critical ones alerted (security-events.ts)
//   SignCertificate                    the CSR stored and checked; signed here with --cpo-ca-cert/--cpo-ca-key and
//                                      sent back in CertificateSigned, or left pending for an operator (API)
//   LogStatusNotification              a status history with the GetLog requestId that started it
//   SignedFirmwareStatusNotification   the same, after SignedUpdateFirmware
// Each is stored before the charger is answered.

import { checkCsr } from '../security/certificate-signing.js';
import { isCriticalSecurityEvent, securityEventLabel } from '../security/security-events.js';
import type { CertificateRequestStatus } from '../store/security-store.js';
import { utcTimestamp, type HandlerContext, type ProfileHandlers } from './handler.js';

export const securityHandlers: ProfileHandlers = {
  async SecurityEventNotification(payload: { type: string; timestamp: string; techInfo?: string }, context) {
    const timestamp = utcTimestamp(payload.timestamp, 'timestamp');
    const critical = isCriticalSecurityEvent(payload.type);
    await context.store.security.addSecurityEvent({
      chargePointId: context.chargePointId,
      type: payload.type,
      timestamp,
      techInfo: payload.techInfo ?? null,
      critical,
      receivedAt: context.now(),
    });
    context.metrics.securityEvents.inc({ type: securityEventLabel(payload.type), critical: String(critical) });
    context.events.emit('security.event', {
      chargePointId: context.chargePointId,
      type: payload.type,
      techInfo: payload.techInfo,
      at: timestamp,
    });
    const log = critical ? context.logger.warn.bind(context.logger) : context.logger.info.bind(context.logger);
    log(
      { chargePointId: context.chargePointId, type: payload.type, critical, techInfo: payload.techInfo, timestamp },
      'security event',
    );
    return {};
  },

  async SignCertificate(payload: { csr: string }, context) {
    const check = await checkCsr(payload.csr, context.chargePointId, context.cpoName);
    const now = context.now();
    const status: CertificateRequestStatus = check.ok ? 'pending' : 'rejected';
    const id = await context.store.security.addCertificateRequest({
      chargePointId: context.chargePointId,
      csr: payload.csr,
      subject: check.ok ? check.csr.subject : (check.subject ?? ''),
      keyType: check.ok ? check.csr.keyType : (check.keyType ?? 'unknown'),
      status,
      detail: check.ok ? null : check.reason,
      receivedAt: now,
    });
    context.metrics.certificateRequests.inc({ result: status });
    if (!check.ok) {
      context.logger.warn(
        { chargePointId: context.chargePointId, requestId: id, reason: check.reason, subject: check.subject },
        'SignCertificate rejected: the CSR fails a check',
      );
      return { status: 'Rejected' };
    }
    const authority = context.certificateAuthority;
    context.logger.info(
      { chargePointId: context.chargePointId, requestId: id, subject: check.csr.subject, keyType: check.csr.keyType },
      authority
        ? 'SignCertificate accepted: signing it'
        : 'SignCertificate accepted: waiting for an operator to post the chain',
    );
    if (authority)
      context.afterAnswer(async () => {
        const chain = await authority.sign(check.csr);
        await context.store.security.updateCertificateRequest(
          id,
          { status: 'signed', certificateChain: chain },
          context.now(),
        );
        context.metrics.certificateRequests.inc({ result: 'signed' });
        await sendCertificateSigned(context, id, chain);
      });
    return { status: 'Accepted' };
  },

  async LogStatusNotification(payload: { status: string; requestId?: number }, context) {
    await context.store.security.addSecurityStatus(
      context.chargePointId,
      'log',
      payload.status,
      payload.requestId,
      context.now(),
    );
    context.logger.info(
      { chargePointId: context.chargePointId, status: payload.status, requestId: payload.requestId },
      'log upload status',
    );
    return {};
  },

  async SignedFirmwareStatusNotification(payload: { status: string; requestId?: number }, context) {
    await context.store.security.addSecurityStatus(
      context.chargePointId,
      'signedFirmware',
      payload.status,
      payload.requestId,
      context.now(),
    );
    const failed = ['InvalidSignature', 'InstallVerificationFailed', 'DownloadFailed', 'InstallationFailed'].includes(
      payload.status,
    );
    (failed ? context.logger.warn : context.logger.info).call(
      context.logger,
      { chargePointId: context.chargePointId, status: payload.status, requestId: payload.requestId },
      'signed firmware status',
    );
    return {};
  },
};

/**
 * Sends CertificateSigned and records the charger's answer: accepted, or refused (Rejected, a CALLERROR, no answer).
 * Shared by the CA path above and the operator's POST in the API.
 */
export async function sendCertificateSigned(
  context: Pick<HandlerContext, 'chargePointId' | 'store' | 'logger' | 'metrics' | 'callCharger' | 'now'>,
  requestId: number,
  certificateChain: string,
): Promise<'accepted' | 'refused'> {
  let result: 'accepted' | 'refused' = 'refused';
  let detail: string | null = null;
  try {
    const answer = (await context.callCharger('CertificateSigned', { certificateChain })) as { status?: string };
    result = answer.status === 'Accepted' ? 'accepted' : 'refused';
    if (result === 'refused') detail = `the charger answered ${answer.status}`;
  } catch (error) {
    detail = `CertificateSigned failed: ${(error as Error).message}`;
  }
  await context.store.security.updateCertificateRequest(
    requestId,
    { status: result, detail, certificateChain },
    context.now(),
  );
  context.metrics.certificateRequests.inc({ result });
  (result === 'accepted' ? context.logger.info : context.logger.warn).call(
    context.logger,
    { chargePointId: context.chargePointId, requestId, result, detail },
    'CertificateSigned',
  );
  return result;
}
