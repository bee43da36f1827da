// The OCPP 2.0.1 handler modules, one per group of functional blocks. Actions without a handler are answered
// NotImplemented by ocpp-rpc (ISO 15118 certificates, EV charging needs: out of scope, see docs/OCPP.md).

import type { ProfileHandlers } from '../handler.js';
import { authorizationHandlers } from './authorization.js';
import { acknowledgedNotifications, firmwareAndLogHandlers } from './firmware-and-logs.js';
import { provisioningHandlers } from './provisioning.js';
import { securityHandlers } from './security.js';
import { transactionHandlers } from './transactions.js';

export const v201Handlers: readonly ProfileHandlers[] = [
  provisioningHandlers,
  authorizationHandlers,
  transactionHandlers,
  firmwareAndLogHandlers,
  securityHandlers,
  acknowledgedNotifications,
];
