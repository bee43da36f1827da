// The queries of the OCPP security extension (store.security): security events, certificate signing requests,
// the log-upload and signed-firmware status histories, and installed certificates. Part of the one query layer,
// in its own file; domain objects out, camelCase.

import type { Kysely, Selectable } from 'kysely';
import type { CertificateRequestTable, Database, SecurityEventTable } from './schema.js';

export interface SecurityEvent {
  id: number;
  chargePointId: string;
  type: string;
  timestamp: string;
  techInfo: string | null;
  critical: boolean;
  receivedAt: string;
}

export type CertificateRequestStatus = 'rejected' | 'pending' | 'signed' | 'accepted' | 'refused';

export interface CertificateRequest {
  id: number;
  chargePointId: string;
  csr: string;
  subject: string;
  keyType: string;
  status: CertificateRequestStatus;
  detail: string | null;
  certificateChain: string | null;
  receivedAt: string;
  updatedAt: string;
}

export type SecurityStatusKind = 'log' | 'signedFirmware';

export interface SecurityStatus {
  status: string;
  requestId: number | null;
  receivedAt: string;
}

export interface InstalledCertificate {
  certificateType: string;
  hashAlgorithm: string;
  issuerNameHash: string;
  issuerKeyHash: string;
  serialNumber: string;
  reportedAt: string;
}

export class SecurityStore {
  constructor(private readonly db: Kysely<Database>) {}

  async addSecurityEvent(event: Omit<SecurityEvent, 'id'>): Promise<number> {
    const row = await this.db
      .insertInto('security_events')
      .values({
        charge_point_id: event.chargePointId,
        type: event.type,
        event_at: event.timestamp,
        tech_info: event.techInfo,
        critical: event.critical ? 1 : 0,
        received_at: event.receivedAt,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  async listSecurityEvents(chargePointId: string, limit: number): Promise<SecurityEvent[]> {
    const rows = await this.db
      .selectFrom('security_events')
      .selectAll()
      .where('charge_point_id', '=', chargePointId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toSecurityEvent);
  }

  async addCertificateRequest(
    request: Omit<CertificateRequest, 'id' | 'certificateChain' | 'updatedAt'>,
  ): Promise<number> {
    const row = await this.db
      .insertInto('certificate_requests')
      .values({
        charge_point_id: request.chargePointId,
        csr: request.csr,
        subject: request.subject,
        key_type: request.keyType,
        status: request.status,
        detail: request.detail,
        certificate_chain: null,
        received_at: request.receivedAt,
        updated_at: request.receivedAt,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  async getCertificateRequest(chargePointId: string, id: number): Promise<CertificateRequest | undefined> {
    const row = await this.db
      .selectFrom('certificate_requests')
      .selectAll()
      .where('id', '=', id)
      .where('charge_point_id', '=', chargePointId)
      .executeTakeFirst();
    return row && toCertificateRequest(row);
  }

  async listCertificateRequests(chargePointId: string, limit: number): Promise<CertificateRequest[]> {
    const rows = await this.db
      .selectFrom('certificate_requests')
      .selectAll()
      .where('charge_point_id', '=', chargePointId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toCertificateRequest);
  }

  async updateCertificateRequest(
    id: number,
    change: { status: CertificateRequestStatus; detail?: string | null; certificateChain?: string },
    now: string,
  ): Promise<void> {
    await this.db
      .updateTable('certificate_requests')
      .set({
        status: change.status,
        updated_at: now,
        ...(change.detail !== undefined && { detail: change.detail }),
        ...(change.certificateChain !== undefined && { certificate_chain: change.certificateChain }),
      })
      .where('id', '=', id)
      .execute();
  }

  async addSecurityStatus(
    chargePointId: string,
    kind: SecurityStatusKind,
    status: string,
    requestId: number | undefined,
    now: string,
  ): Promise<void> {
    await this.db
      .insertInto('security_status_history')
      .values({ charge_point_id: chargePointId, kind, status, request_id: requestId ?? null, received_at: now })
      .execute();
  }

  async listSecurityStatus(chargePointId: string, kind: SecurityStatusKind, limit: number): Promise<SecurityStatus[]> {
    const rows = await this.db
      .selectFrom('security_status_history')
      .select(['status', 'request_id', 'received_at'])
      .where('charge_point_id', '=', chargePointId)
      .where('kind', '=', kind)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ status: row.status, requestId: row.request_id, receivedAt: row.received_at }));
  }

  /** Replaces what is known of one certificate type (all types when undefined) by the charger's latest answer. */
  async replaceInstalledCertificates(
    chargePointId: string,
    certificateType: string,
    certificates: Omit<InstalledCertificate, 'certificateType' | 'reportedAt'>[],
    now: string,
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .deleteFrom('installed_certificates')
        .where('charge_point_id', '=', chargePointId)
        .where('certificate_type', '=', certificateType)
        .execute();
      if (certificates.length > 0)
        await trx
          .insertInto('installed_certificates')
          .values(
            certificates.map((certificate) => ({
              charge_point_id: chargePointId,
              certificate_type: certificateType,
              hash_algorithm: certificate.hashAlgorithm,
              issuer_name_hash: certificate.issuerNameHash,
              issuer_key_hash: certificate.issuerKeyHash,
              serial_number: certificate.serialNumber,
              reported_at: now,
            })),
          )
          .execute();
    });
  }

  async listInstalledCertificates(chargePointId: string): Promise<InstalledCertificate[]> {
    const rows = await this.db
      .selectFrom('installed_certificates')
      .selectAll()
      .where('charge_point_id', '=', chargePointId)
      .orderBy('certificate_type')
      .orderBy('serial_number')
      .execute();
    return rows.map((row) => ({
      certificateType: row.certificate_type,
      hashAlgorithm: row.hash_algorithm,
      issuerNameHash: row.issuer_name_hash,
      issuerKeyHash: row.issuer_key_hash,
      serialNumber: row.serial_number,
      reportedAt: row.reported_at,
    }));
  }
}

function toSecurityEvent(row: Selectable<SecurityEventTable>): SecurityEvent {
  return {
    id: Number(row.id),
    chargePointId: row.charge_point_id,
    type: row.type,
    timestamp: row.event_at,
    techInfo: row.tech_info,
    critical: Number(row.critical) === 1,
    receivedAt: row.received_at,
  };
}

function toCertificateRequest(row: Selectable<CertificateRequestTable>): CertificateRequest {
  return {
    id: Number(row.id),
    chargePointId: row.charge_point_id,
    csr: row.csr,
    subject: row.subject,
    keyType: row.key_type,
    status: row.status as CertificateRequestStatus,
    detail: row.detail,
    certificateChain: row.certificate_chain,
    receivedAt: row.received_at,
    updatedAt: row.updated_at,
  };
}
