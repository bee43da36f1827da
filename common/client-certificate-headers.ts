// The headers in which the proxy tells the backend who a TLS client proved to be (OCPP security profile 3: the
// charger's client certificate). One definition for both processes: the proxy writes them (after deleting any
// copy a client sent, on every route), the backend reads them only from its --trusted-proxy addresses and refuses
// a request from anyone else that carries one.
//
// The leaf certificate travels whole (base64 DER, one line, as RFC 9440's Client-Cert field): the backend takes the
// subject from the certificate itself, so the subject and serial headers are for logs and for upstreams other
// than ours.

import type { IncomingHttpHeaders } from 'node:http';

export const CLIENT_CERTIFICATE_HEADERS = {
  /** The leaf certificate the client presented, base64 DER (absent when it presented none). */
  certificate: 'x-ocpp-edge-client-cert',
  /** SUCCESS (verified against --client-ca, not expired, not revoked), NONE, or FAILED:REASON (an OpenSSL code). */
  verify: 'x-ocpp-edge-client-verify',
  /** The certificate's subject, RFC 4514 ("CN=CP-1, O=Example CPO"), percent-encoded beyond printable ASCII. */
  subject: 'x-ocpp-edge-client-subject',
  /** The certificate's serial number, upper-case hex. */
  serial: 'x-ocpp-edge-client-serial',
} as const;

export const CLIENT_CERTIFICATE_HEADER_NAMES: readonly string[] = Object.values(CLIENT_CERTIFICATE_HEADERS);

export type ClientCertificateVerification =
  | { verify: 'NONE' }
  | { verify: 'SUCCESS'; der: Buffer; subject: string; serial: string }
  | { verify: 'FAILED'; reason: string; der: Buffer; subject: string; serial: string };

/** Whether any of the headers is present (a request from outside the proxy must carry none). */
export function hasClientCertificateHeaders(headers: IncomingHttpHeaders): boolean {
  for (const name of CLIENT_CERTIFICATE_HEADER_NAMES) if (headers[name] !== undefined) return true;
  return false;
}

/** Deletes every copy of the headers, then sets them from the verification (proxy side). */
export function setClientCertificateHeaders(
  headers: IncomingHttpHeaders,
  verification: ClientCertificateVerification,
): void {
  for (const name of CLIENT_CERTIFICATE_HEADER_NAMES) delete headers[name];
  if (verification.verify === 'NONE') {
    headers[CLIENT_CERTIFICATE_HEADERS.verify] = 'NONE';
    return;
  }
  headers[CLIENT_CERTIFICATE_HEADERS.verify] =
    verification.verify === 'SUCCESS' ? 'SUCCESS' : `FAILED:${headerSafe(verification.reason)}`;
  headers[CLIENT_CERTIFICATE_HEADERS.certificate] = verification.der.toString('base64');
  headers[CLIENT_CERTIFICATE_HEADERS.subject] = headerSafe(verification.subject);
  headers[CLIENT_CERTIFICATE_HEADERS.serial] = headerSafe(verification.serial);
}

/**
 * Reads the headers back (backend side; only call it for a request from a trusted proxy). undefined: the request
 * did not come through a proxy that sets them (no verify header); a malformed set is FAILED:MALFORMED_HEADERS.
 */
export function readClientCertificateHeaders(headers: IncomingHttpHeaders): ClientCertificateVerification | undefined {
  const verify = single(headers[CLIENT_CERTIFICATE_HEADERS.verify]);
  if (verify === undefined) return undefined;
  if (verify === 'NONE') return { verify: 'NONE' };
  const certificate = single(headers[CLIENT_CERTIFICATE_HEADERS.certificate]);
  const der =
    certificate && /^[A-Za-z0-9+/]+={0,2}$/.test(certificate) ? Buffer.from(certificate, 'base64') : undefined;
  const subject = single(headers[CLIENT_CERTIFICATE_HEADERS.subject]) ?? '';
  const serial = single(headers[CLIENT_CERTIFICATE_HEADERS.serial]) ?? '';
  if (!der || der.length === 0)
    return { verify: 'FAILED', reason: 'MALFORMED_HEADERS', der: Buffer.alloc(0), subject, serial };
  if (verify === 'SUCCESS') return { verify: 'SUCCESS', der, subject, serial };
  if (verify.startsWith('FAILED:')) return { verify: 'FAILED', reason: verify.slice(7), der, subject, serial };
  return { verify: 'FAILED', reason: 'MALFORMED_HEADERS', der, subject, serial };
}

function single(value: string | string[] | undefined): string | undefined {
  // Repeated headers are not something the proxy ever sends: treat as absent-but-malformed by taking none.
  return typeof value === 'string' ? value : undefined;
}

/**
 * A header value is printable ASCII: a subject may hold anything (CR LF, "München"), so everything else and '%'
 * itself are percent-encoded (UTF-8), as nginx escapes $ssl_client_escaped_cert.
 */
function headerSafe(value: string): string {
  return value.replace(/[^\x20-\x24\x26-\x7e]/gu, (character) => encodeURIComponent(character));
}
