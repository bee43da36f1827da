// Names a failure by its kind, so that a report groups 9,000 refused connections under one line: the HTTP status of
// a refused upgrade, the system or TLS error code, the OCPP-J error code of a CALLERROR, or "timeout".

import ocppRpc from 'ocpp-rpc';
import { rpcErrorCode } from '../../common/rpc-error.js';

// ocpp-rpc is CommonJS and spreads its error classes into module.exports, which Node cannot expose as named ESM
// exports: take them from the default export (module.exports).
const { TimeoutError, UnexpectedHttpResponse } = ocppRpc;

export function errorKind(error: unknown): string {
  if (error instanceof UnexpectedHttpResponse) return `HTTP ${String(error.code)}`;
  if (error instanceof TimeoutError) return 'timeout';
  // Strict mode turns a CALLERROR, and an answer that breaks the OCPP schema, into an RPCError with the OCPP-J code.
  const ocppCode = rpcErrorCode(error);
  if (ocppCode !== undefined) return ocppCode;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string') return code; // ECONNREFUSED, ECONNRESET, DEPTH_ZERO_SELF_SIGNED_CERT...
    if (error.name === 'AbortError' || /disconnected|going away/i.test(error.message)) return 'connection lost';
    if (/handshake has timed out/i.test(error.message)) return 'handshake timeout';
    return error.message.slice(0, 80);
  }
  return String(error).slice(0, 80);
}
