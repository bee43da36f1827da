// How an upstream failure is classified, once for both paths to the upstream (HTTP forwarding in upstream.ts,
// WebSocket upgrades in websocket.ts) and the passive health check they share: whether the connection was never
// made (so the exchange may go to another upstream), and the kind the metrics and logs name.

export type UpstreamErrorKind = 'refused' | 'timeout' | 'reset' | 'other';

/** The code of the error the proxy destroys an upstream socket with when the upstream is too slow. */
const TIMEOUT_CODE = 'OCPP_EDGE_UPSTREAM_TIMEOUT';
/** Errors meaning the connection was never established: no byte of the exchange reached the upstream. */
const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // A unix: upstream whose socket file does not exist: its backend is not running (a stale file: ECONNREFUSED).
  'ENOENT',
]);

/** Passive check: whether this upstream error happened before anything was sent. */
export function isConnectFailure(error: Error): boolean {
  return CONNECT_FAILURES.has((error as NodeJS.ErrnoException).code ?? '');
}

export function upstreamErrorKind(error: Error): UpstreamErrorKind {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === TIMEOUT_CODE || code === 'ETIMEDOUT') return 'timeout';
  if (isConnectFailure(error)) return 'refused';
  if (code === 'ECONNRESET' || code === 'EPIPE' || error.message === 'socket hang up') return 'reset';
  return 'other';
}

export function upstreamTimeoutError(message: string): Error {
  return Object.assign(new Error(message), { code: TIMEOUT_CODE });
}
