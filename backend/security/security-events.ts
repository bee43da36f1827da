// The security events a charger reports (SecurityEventNotification), and which of them are critical: the list of
// OCPP 1.6 Security Whitepaper edition 3, appendix "Security Events" (OCPP 2.0.1 Part 2 appendix 1 is the same
// list under 2.0.1 names). A critical event is pushed to the operator: ocpp_edge_security_events_total{critical}
// and the OcppEdgeCriticalSecurityEvent alert (config/alerts.yml). Types outside the list (vendors add their own)
// are stored and counted, not critical.

export const CRITICAL_SECURITY_EVENT_TYPES = [
  'FirmwareUpdated',
  'SettingSystemTime',
  'StartupOfTheDevice',
  'ResetOrReboot',
  'SecurityLogWasCleared',
  'MemoryExhaustion',
  'TamperDetectionActivated',
] as const;

const CRITICAL_TYPES: ReadonlySet<string> = new Set(CRITICAL_SECURITY_EVENT_TYPES);

/** The whitepaper's other (non-critical) types, so a metric label never takes a charger's arbitrary text. */
const KNOWN_TYPES: ReadonlySet<string> = new Set([
  ...CRITICAL_TYPES,
  'FailedToAuthenticateAtCentralSystem',
  'CentralSystemFailedToAuthenticate',
  'ReconfigurationOfSecurityParameters',
  'InvalidMessages',
  'AttemptedReplayAttacks',
  'InvalidFirmwareSignature',
  'InvalidFirmwareSigningCertificate',
  'InvalidCentralSystemCertificate',
  'InvalidChargePointCertificate',
  'InvalidTLSVersion',
  'InvalidTLSCipherSuite',
  // The same events under their OCPP 2.0.1 names (Part 2 appendix 1: Central System → CSMS, Charge Point →
  // Charging Station).
  'FailedToAuthenticateAtCsms',
  'CsmsFailedToAuthenticate',
  'InvalidCsmsCertificate',
  'InvalidChargingStationCertificate',
]);

export function isCriticalSecurityEvent(type: string): boolean {
  return CRITICAL_TYPES.has(type);
}

/** The metric label of a type: the type itself when the whitepaper defines it, else "other" (bounded cardinality). */
export function securityEventLabel(type: string): string {
  return KNOWN_TYPES.has(type) ? type : 'other';
}
