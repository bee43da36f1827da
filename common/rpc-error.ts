// The OCPP-J error an error carries, read one way everywhere. ocpp-rpc itself reads the code off any thrown value
// by its `rpcErrorCode` property (a handler may throw its own error with one), not by class, so this does too.

/** The OCPP-J error code (`InternalError`, `FormationViolation`...) or undefined for any other error. */
export function rpcErrorCode(error: unknown): string | undefined {
  const code = (error as { rpcErrorCode?: unknown } | null | undefined)?.rpcErrorCode;
  return typeof code === 'string' ? code : undefined;
}

/** The details object a CALLERROR carries (empty when there is none). */
export function rpcErrorDetails(error: unknown): Record<string, unknown> {
  const details = (error as { details?: unknown } | null | undefined)?.details;
  return typeof details === 'object' && details !== null ? (details as Record<string, unknown>) : {};
}
