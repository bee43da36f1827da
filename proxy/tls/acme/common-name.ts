// Some chargers check the server certificate's subject Common Name rather than (or besides) its subjectAltName.
// Let's Encrypt's "tlsserver" and "shortlived" profiles (2025) issue certificates without a CN, as the CA/B Forum
// baseline allows; "classic" keeps it. The proxy warns at start-up when the chosen profile is one of those, and
// whenever it installs an ACME certificate that has no CN, whatever the profile was called.

import { X509Certificate } from 'node:crypto';

/** ACME profiles known to issue certificates without a subject Common Name. */
export const PROFILES_WITHOUT_COMMON_NAME: ReadonlySet<string> = new Set(['tlsserver', 'shortlived']);

export const COMMON_NAME_WARNING =
  'ACME certificates without a subject Common Name: chargers that check the CN instead of the subjectAltName will refuse them (use --acme-profile classic for those)';

export function profileDropsCommonName(profile: string | undefined): boolean {
  return profile !== undefined && PROFILES_WITHOUT_COMMON_NAME.has(profile.toLowerCase());
}

export function hasCommonName(certPem: string): boolean {
  return /(?:^|\n)CN=/.test(new X509Certificate(certPem).subject);
}
