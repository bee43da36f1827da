// Checks of a charger's client certificate against what the whitepaper asks of it (OCPP 1.6 Security Whitepaper
// edition 3, "Certificate Properties" and A00.FR.404/405, as SteVe checks them): the subject's O is the CPO's name,
// the subject's CN is the charge point. We take the CN to be the charge point identity of the connection URL
// (most fleets use the serial number as identity, which is what the whitepaper's CN holds). Version-agnostic: the
// OCPP 2.0.1 endpoint checks its chargers the same way.

import { X509Certificate } from '@peculiar/x509';

export interface CertificateSubject {
  commonName: string | undefined;
  organization: string | undefined;
}

export function certificateSubject(der: Buffer): CertificateSubject | undefined {
  try {
    const subject = new X509Certificate(der).subjectName;
    return { commonName: subject.getField('CN')[0], organization: subject.getField('O')[0] };
  } catch {
    return undefined;
  }
}

export type CertificateMismatch = 'unreadable' | 'identity' | 'organization' | 'no_cpo_name';

/** undefined when the certificate belongs to this charge point of this CPO; otherwise what is wrong. */
export function certificateMismatch(
  der: Buffer,
  identity: string,
  cpoName: string | undefined,
): { mismatch: CertificateMismatch; subject?: CertificateSubject } | undefined {
  const subject = certificateSubject(der);
  if (!subject) return { mismatch: 'unreadable' };
  if (subject.commonName !== identity) return { mismatch: 'identity', subject };
  if (cpoName === undefined) return { mismatch: 'no_cpo_name', subject };
  if (subject.organization !== cpoName) return { mismatch: 'organization', subject };
  return undefined;
}
