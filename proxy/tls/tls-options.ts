// The TLS settings every secure context of the HTTPS listener shares, from the plan's nginx config:
// `ssl_protocols TLSv1.2 TLSv1.3`, its TLS 1.2 cipher list, `ssl_prefer_server_ciphers off` and a 10 minute
// session lifetime. TLS 1.3 keeps OpenSSL's default suites (all three are AEAD), as nginx does.
//
// The session id context is fixed: OpenSSL resumes a session (by ticket or by id) only in the context it was
// issued in, and Node's default is a hash of process.argv. Proxies sharing ticket keys (--tls-ticket-keys) but
// started with other flags or from another path would refuse each other's tickets and do full handshakes.

import type { SecureContextOptions } from 'node:tls';

export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/**
 * --tls-compat ocpp-legacy: the two static-RSA GCM suites (TLS_RSA_WITH_AES_128_GCM_SHA256 and _256_GCM_SHA384) that
 * OCPP's certification test of the central system (OCTT TC_086) expects besides the ECDHE-ECDSA pair, and that some
 * chargers offer alone. No forward secrecy, so never by default; they need an RSA certificate to be negotiated.
 */
export const OCPP_LEGACY_CIPHERS = ['AES128-GCM-SHA256', 'AES256-GCM-SHA384'].join(':');

/** The TLS 1.2 cipher list for a --tls-compat setting. */
export function tls12Ciphers(compat: string | undefined): string {
  return compat === 'ocpp-legacy' ? `${TLS12_CIPHERS}:${OCPP_LEGACY_CIPHERS}` : TLS12_CIPHERS;
}

/** `ssl_session_timeout 10m`: how long a session (ticket or cached id) may be resumed. */
export const SESSION_TIMEOUT_SECONDS = 600;

/** The same in every ocpp-edge proxy, so a session issued by one resumes on another (see above). */
export const SESSION_ID_CONTEXT = 'ocpp-edge';

export const SHARED_TLS_OPTIONS = {
  minVersion: 'TLSv1.2',
  maxVersion: 'TLSv1.3',
  ciphers: TLS12_CIPHERS,
  honorCipherOrder: false,
  sessionTimeout: SESSION_TIMEOUT_SECONDS,
  sessionIdContext: SESSION_ID_CONTEXT,
} as const satisfies SecureContextOptions;
