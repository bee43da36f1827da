// OCPP 2.0.1 functional block A (security): SecurityEventNotification, SignCertificate (then CertificateSigned) and
// LogStatusNotification have the same payloads as in the OCPP 1.6 security extension (2.0.1 adds an optional
// certificateType), so they are handled by the same code (backend/ocpp/security.ts): stored, checked, signed by the
// CPO CA or left for an operator, counted and alerted alike for both versions.

import type { ProfileHandlers } from '../handler.js';
import { securityHandlers as shared } from '../security.js';

export const securityHandlers: ProfileHandlers = {
  SecurityEventNotification: shared.SecurityEventNotification,
  SignCertificate: shared.SignCertificate,
  LogStatusNotification: shared.LogStatusNotification,
};
