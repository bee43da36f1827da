// OCPP security profiles (OCPP 1.6 Security Whitepaper edition 3, §2; OCPP 2.0.1 Part 2 A00): how a charger
// authenticates itself at the WebSocket upgrade. The same numbers and rules hold for both OCPP versions.
//
//   0  none (OCPP before the whitepaper): no transport security required; a password, when set, is still checked
//   1  HTTP Basic auth (the AuthorizationKey), over ws:// or wss://
//   2  TLS (server certificate) + HTTP Basic auth
//   3  TLS with a client certificate (CN = the charge point identity, O = the CPO name); no Basic auth

export const SECURITY_PROFILES = [0, 1, 2, 3] as const;
export type SecurityProfile = (typeof SECURITY_PROFILES)[number];

export function isSecurityProfile(value: unknown): value is SecurityProfile {
  return SECURITY_PROFILES.includes(value as SecurityProfile);
}

/** Whether a charger of this profile must connect over TLS. */
export function requiresTls(profile: SecurityProfile): boolean {
  return profile >= 2;
}

/** Whether a charger of this profile authenticates with the HTTP Basic password. */
export function usesPassword(profile: SecurityProfile): boolean {
  return profile === 1 || profile === 2;
}
