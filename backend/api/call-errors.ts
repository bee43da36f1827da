// How a command's failure to reach a charger is answered, for the routes that send one and keep state from it.

import type { FastifyReply } from 'fastify';
import { CallTimeoutError, ClusterUnavailableError, NotConnectedError } from '../ocpp/connections.js';
import { errorSchema } from './schemas.js';

/** The responses a route that calls a charger may give besides its own. */
export const callErrors = {
  404: errorSchema,
  409: errorSchema,
  502: errorSchema,
  503: errorSchema,
  504: errorSchema,
} as const;

/** 409 not connected, 504 no answer in time, 503 the cluster cannot route it, 502 the charger's CALLERROR. */
export function callFailed(reply: FastifyReply, error: unknown) {
  if (error instanceof NotConnectedError)
    return reply.code(409).send({ error: 'NotConnected', message: error.message });
  if (error instanceof CallTimeoutError) return reply.code(504).send({ error: 'Timeout', message: error.message });
  if (error instanceof ClusterUnavailableError)
    return reply.code(503).send({ error: 'ClusterUnavailable', message: error.message });
  const code = (error as { rpcErrorCode?: string }).rpcErrorCode;
  if (code) return reply.code(502).send({ error: 'ChargerError', code, message: (error as Error).message });
  throw error;
}
