// Commands to a charger: POST /api/charge-points/{id}/{command}. The body is the OCPP payload (validated with the
// OCPP 1.6 schema), the answer is the charger's. 404: not registered; 409: not connected; 504: no answer within
// --call-timeout; 502: the charger answered with a CALLERROR (or an answer strict mode rejected); 503 (several
// instances only): the charger is held by another instance and Redis is unreachable. A charger held by another
// instance answers through it (backend/cluster/) with exactly the same statuses.

import type { FastifyInstance, FastifyReply } from 'fastify';
import { rpcErrorCode } from '../../common/rpc-error.js';
import { CallTimeoutError, ClusterUnavailableError, NotConnectedError } from '../ocpp/connections.js';
import { CENTRAL_SYSTEM_ACTIONS, COMMANDS } from '../ocpp/commands.js';
import { ocpp16Validator, payloadSchema } from '../ocpp/validator.js';
import { notFound, type ApiContext } from './context.js';
import { chargePointIdParams, commonErrors, errorSchema } from './schemas.js';

interface IdParams {
  id: string;
}

const commandErrors = {
  404: errorSchema,
  409: errorSchema,
  502: errorSchema,
  503: errorSchema,
  504: errorSchema,
  ...commonErrors,
} as const;
const tags = ['commands'];

export async function commandRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  const send = sender(context);

  for (const command of COMMANDS) {
    app.post<{ Params: IdParams; Body: Record<string, unknown> }>(
      `/api/charge-points/:id/${command.route}`,
      {
        config: { role: 'operator' },
        schema: {
          tags,
          summary: `${command.summary} (${command.action}, ${command.profile})`,
          params: chargePointIdParams,
          body: payloadSchema(command.action, 'req'),
          response: { 200: payloadSchema(command.action, 'conf'), ...commandErrors },
        },
      },
      async (request, reply) => send(reply, request.params.id, command.action, request.body ?? {}),
    );
  }

  app.post<{ Params: IdParams; Body: { operation: 'get' | 'change'; keys?: string[]; key?: string; value?: string } }>(
    '/api/charge-points/:id/configuration',
    {
      config: { role: 'operator' },
      schema: {
        tags,
        summary: "Read (GetConfiguration) or change (ChangeConfiguration) the charger's configuration",
        description:
          '{"operation":"get","keys":[...]} (no keys: all) or {"operation":"change","key":"...","value":"..."}',
        params: chargePointIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['operation'],
          properties: {
            operation: { type: 'string', enum: ['get', 'change'] },
            keys: { type: 'array', items: { type: 'string', maxLength: 50 } },
            key: { type: 'string', maxLength: 50 },
            value: { type: 'string', maxLength: 500 },
          },
          if: { properties: { operation: { const: 'change' } } },
          // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a thenable
          then: { required: ['key', 'value'] },
        },
        response: {
          200: { oneOf: [payloadSchema('GetConfiguration', 'conf'), payloadSchema('ChangeConfiguration', 'conf')] },
          ...commandErrors,
        },
      },
    },
    async (request, reply) => {
      const { operation, keys, key, value } = request.body;
      if (operation === 'change') return send(reply, request.params.id, 'ChangeConfiguration', { key, value });
      return send(reply, request.params.id, 'GetConfiguration', keys ? { key: keys } : {});
    },
  );

  app.post<{ Params: IdParams; Body: { action: string; payload: unknown } }>(
    '/api/charge-points/:id/call',
    {
      schema: {
        tags,
        summary:
          'Send any OCPP 1.6 call to the charger; the payload is validated by strict mode (400 with the OCPP-J error code)',
        params: chargePointIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['action', 'payload'],
          properties: { action: { type: 'string', enum: CENTRAL_SYSTEM_ACTIONS }, payload: { type: 'object' } },
        },
        response: { 200: { type: 'object', additionalProperties: true }, ...commandErrors },
      },
    },
    async (request, reply) => {
      const { action, payload } = request.body;
      try {
        // The validator strict mode applies to every call we send; checked here so a bad payload is the caller's 400,
        // not a failed call.
        await ocpp16Validator.validate(`urn:${action}.req`, payload);
      } catch (error) {
        const code = rpcErrorCode(error) ?? 'FormationViolation';
        return reply.code(400).send({ error: 'BadRequest', code, message: `payload: ${(error as Error).message}` });
      }
      return send(reply, request.params.id, action, payload);
    },
  );
}

function sender(context: ApiContext) {
  return async (reply: FastifyReply, chargePointId: string, action: string, payload: unknown) => {
    const log = { chargePointId, action };
    try {
      if (
        !(await context.connections.isConnected(chargePointId)) &&
        !(await context.store.getChargePoint(chargePointId))
      ) {
        return reply.code(404).send(notFound(`charge point ${chargePointId} is not registered`));
      }
      const answer = await context.connections.call(chargePointId, action, payload, {
        timeoutMs: context.callTimeoutMs,
      });
      context.logger.info({ ...log, answer }, 'command answered');
      return reply.code(200).send(answer);
    } catch (error) {
      if (error instanceof NotConnectedError)
        return reply.code(409).send({ error: 'NotConnected', message: error.message });
      if (error instanceof CallTimeoutError) return reply.code(504).send({ error: 'Timeout', message: error.message });
      if (error instanceof ClusterUnavailableError)
        return reply.code(503).send({ error: 'ClusterUnavailable', message: error.message });
      const code = rpcErrorCode(error);
      if (code !== undefined) {
        context.logger.warn({ ...log, code, err: (error as Error).message }, 'command failed at the charger');
        return reply
          .code(502)
          .send({ error: 'ChargerError', code, message: (error as Error).message || `charger answered ${code}` });
      }
      throw error;
    }
  };
}
