// Commands to a charger: POST /api/charge-points/{id}/{command}. The body is the OCPP payload, validated with the
// schema of the version the charger speaks; an OCPP 2.0.1 charger takes the 2.0.1 payload or the 1.6 one, translated
// (backend/ocpp/v201/commands.ts), so one body works for a mixed fleet. The answer is the charger's. 400: a body
// neither version accepts; 404: not registered; 409: not connected; 504: no answer within
// --call-timeout; 502: the charger answered with a CALLERROR (or an answer strict mode rejected); 503 (several
// instances only): the charger is held by another instance and Redis is unreachable. A charger held by another
// instance answers through it (backend/cluster/) with exactly the same statuses.

import type { FastifyInstance, FastifyReply } from 'fastify';
import { CHARGE_POINT_ID_RULE, isChargePointId } from '../../common/charge-point-identity.js';
import { rpcErrorCode } from '../../common/rpc-error.js';
import { CallTimeoutError, ClusterUnavailableError, NotConnectedError } from '../ocpp/connections.js';
import { CENTRAL_SYSTEM_ACTIONS, COMMANDS, CSMS_ACTIONS_201 } from '../ocpp/commands.js';
import { CommandInputError, toV201Call } from '../ocpp/v201/commands.js';
import { hasSchema, ocpp16Validator, payloadSchema, validatorFor } from '../ocpp/validator.js';
import type { DeviceVariable } from '../store/ocpp201-records.js';
import type { ApiContext } from './context.js';
import { chargePointIdParams, commonErrors, errorSchema } from './schemas.js';
import { chargePointNotFound } from './registered-charge-point.js';

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
          description:
            `OCPP 1.6: the ${command.action} payload. OCPP 2.0.1: the 2.0.1 payload of the same concept, or the 1.6 ` +
            'one, translated (docs/OCPP.md). Validated for the version the charger speaks: 400 with the OCPP-J code.',
          params: chargePointIdParams,
          // The 1.6 schema documents the body; it is validated by the charger's version in the handler, since one
          // schema cannot say "1.6 or 2.0.1" to fastify's ajv (its removeAdditional would strip one version's
          // fields while trying the other).
          body: payloadSchema(command.action, 'req'),
          response: { 200: { type: 'object', additionalProperties: true }, ...commandErrors },
        },
        validatorCompiler: bodyCheckedInHandler,
      },
      async (request, reply) => dispatch(reply, request.params.id, command.action, request.body ?? {}),
    );
  }

  for (const [route, action, summary] of [
    [
      'get-variables',
      'GetVariables',
      'Read device model variables (OCPP 2.0.1 GetVariables); results kept in …/variables',
    ],
    ['set-variables', 'SetVariables', 'Set device model variables (OCPP 2.0.1 SetVariables); accepted ones kept'],
    [
      'get-base-report',
      'GetBaseReport',
      'Ask for the device model (OCPP 2.0.1 GetBaseReport); it arrives by NotifyReport',
    ],
  ] as const) {
    app.post<{ Params: IdParams; Body: Record<string, unknown> }>(
      `/api/charge-points/:id/${route}`,
      {
        schema: {
          tags,
          summary,
          description: 'OCPP 2.0.1 chargers only (1.6: …/configuration). The body is the 2.0.1 payload.',
          params: chargePointIdParams,
          // Validated in the handler (the 2.0.1 schemas use keywords fastify's strict ajv refuses).
          body: { type: 'object', additionalProperties: true },
          response: { 200: { type: 'object', additionalProperties: true }, ...commandErrors },
        },
      },
      async (request, reply) =>
        dispatch(reply, request.params.id, action, request.body, (answer) =>
          // Both as the 2.0.1 schemas have them: the body was validated before it was sent, and ocpp-rpc's strict
          // mode validated the charger's answer.
          recordVariables(
            context,
            request.params.id,
            action,
            request.body as VariablesRequest,
            answer as VariablesAnswer,
          ),
        ),
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
      // An OCPP 2.0.1 charger has a device model instead: 400 pointing at …/get-variables and …/set-variables.
      if (operation === 'change') return dispatch(reply, request.params.id, 'ChangeConfiguration', { key, value });
      return dispatch(reply, request.params.id, 'GetConfiguration', keys ? { key: keys } : {});
    },
  );

  app.post<{ Params: IdParams; Body: { action: string; payload: unknown } }>(
    '/api/charge-points/:id/call',
    {
      schema: {
        tags,
        summary:
          'Send any OCPP call of the version the charger speaks (1.6 or 2.0.1); the payload is validated by strict mode (400 with the OCPP-J error code)',
        params: chargePointIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['action', 'payload'],
          properties: {
            action: { type: 'string', enum: [...new Set([...CENTRAL_SYSTEM_ACTIONS, ...CSMS_ACTIONS_201])] },
            payload: { type: 'object' },
          },
        },
        response: { 200: { type: 'object', additionalProperties: true }, ...commandErrors },
      },
    },
    async (request, reply) => {
      const { action, payload } = request.body;
      const version = await versionOf(request.params.id);
      if (version === undefined) return reply.code(404).send(chargePointNotFound(request.params.id));
      const actions: readonly string[] = version === '2.0.1' ? CSMS_ACTIONS_201 : CENTRAL_SYSTEM_ACTIONS;
      if (!actions.includes(action) || !hasSchema(action, version))
        return reply
          .code(400)
          .send({ error: 'BadRequest', message: `${action} is not an OCPP ${version} call to a charger` });
      try {
        // The validator strict mode applies to every call we send; checked here so a bad payload is the caller's 400,
        // not a failed call.
        await validatorFor(version).validate(`urn:${action}.req`, payload);
      } catch (error) {
        return badPayload(reply, error);
      }
      return send(reply, request.params.id, action, payload);
    },
  );

  /** The version a charge point speaks (its last connection; 1.6 before it ever connected); undefined: unknown. */
  async function versionOf(chargePointId: string): Promise<'1.6' | '2.0.1' | undefined> {
    // Presence first: a command to a connected charger must not need the database (it reaches the charger while
    // PostgreSQL is down, as it always did; backend/cluster/postgres-outage.test.ts).
    const connected = await context.connections.isConnected(chargePointId);
    let chargePoint: Awaited<ReturnType<typeof context.store.getChargePoint>>;
    try {
      chargePoint = await context.store.getChargePoint(chargePointId);
    } catch (error) {
      if (!connected) throw error;
      // Storage down: the version is unknown; 1.6, what every charger spoke before 2.0.1 (a 2.0.1 charger then
      // answers the call with a CALLERROR, 502).
      context.logger.warn({ chargePointId, err: (error as Error).message }, 'storage down: command sent as OCPP 1.6');
      return '1.6';
    }
    if (!chargePoint && !connected) return undefined;
    return chargePoint?.ocppVersion === '2.0.1' ? '2.0.1' : '1.6';
  }

  /** A REST command to the charger in its version: validated (400), translated for 2.0.1, sent. */
  async function dispatch(
    reply: FastifyReply,
    chargePointId: string,
    action16: string,
    body: Record<string, unknown>,
    onAnswer?: (answer: unknown) => Promise<void>,
  ) {
    const version = await versionOf(chargePointId);
    if (version === undefined) return reply.code(404).send(chargePointNotFound(chargePointId));
    let call: { action: string; payload: unknown };
    try {
      if (version === '2.0.1') call = await toV201Call(action16, body, { chargePointId, store: context.store });
      else if (!hasSchema(action16, '1.6')) throw new CommandInputError(`${action16} is an OCPP 2.0.1 call only`);
      else {
        await ocpp16Validator.validate(`urn:${action16}.req`, body);
        call = { action: action16, payload: body };
      }
    } catch (error) {
      return badPayload(reply, error);
    }
    return send(reply, chargePointId, call.action, call.payload, onAnswer);
  }
}

/** Fastify's validation for the parameters; the body is left to dispatch(), which knows the charger's version. */
function bodyCheckedInHandler({ httpPart }: { httpPart?: string }) {
  if (httpPart !== 'params') return () => true;
  return (params: { id?: unknown }) =>
    typeof params.id === 'string' && isChargePointId(params.id)
      ? { value: params }
      : { error: Object.assign(new Error(`params/id: ${CHARGE_POINT_ID_RULE}`), { statusCode: 400 }) };
}

function badPayload(reply: FastifyReply, error: unknown) {
  const code = rpcErrorCode(error) ?? (error instanceof CommandInputError ? error.code : 'FormationViolation');
  return reply.code(400).send({ error: 'BadRequest', code, message: `payload: ${(error as Error).message}` });
}

/** A component's variable as OCPP 2.0.1 GetVariables and SetVariables name it (ComponentType, VariableType). */
interface ComponentVariable {
  component: { name: string; instance?: string; evse?: { id: number; connectorId?: number } };
  variable: { name: string; instance?: string };
  attributeType?: string;
}

/** The part of a SetVariablesRequest kept: what was asked for each variable. */
interface VariablesRequest {
  setVariableData?: Array<ComponentVariable & { attributeValue: string }>;
}

/** The parts of GetVariablesResponse and SetVariablesResponse kept. */
interface VariablesAnswer {
  getVariableResult?: Array<ComponentVariable & { attributeStatus: string; attributeValue?: string }>;
  setVariableResult?: Array<ComponentVariable & { attributeStatus: string }>;
}

/** GetVariables and SetVariables answers go into the device model, as NotifyReport's do. */
async function recordVariables(
  context: ApiContext,
  chargePointId: string,
  action: string,
  request: VariablesRequest,
  answer: VariablesAnswer,
): Promise<void> {
  const now = new Date().toISOString();
  const variables: DeviceVariable[] = [];
  const component = (entry: ComponentVariable) => ({
    component: entry.component.name,
    componentInstance: entry.component.instance,
    evseId: entry.component.evse?.id,
    evseConnectorId: entry.component.evse?.connectorId,
    variable: entry.variable.name,
    variableInstance: entry.variable.instance,
  });
  if (action === 'GetVariables') {
    for (const result of answer.getVariableResult ?? []) {
      if (result.attributeStatus !== 'Accepted') continue;
      variables.push({
        ...component(result),
        attributeType: result.attributeType ?? 'Actual',
        value: result.attributeValue,
      });
    }
  } else if (action === 'SetVariables') {
    const requested = request.setVariableData ?? [];
    (answer.setVariableResult ?? []).forEach((result, index) => {
      // RebootRequired: accepted, in force after the next reboot; kept as the value asked for.
      if (result.attributeStatus !== 'Accepted' && result.attributeStatus !== 'RebootRequired') return;
      const asked =
        requested.find(
          (data) =>
            data.component.name === result.component.name &&
            data.variable.name === result.variable.name &&
            (data.attributeType ?? 'Actual') === (result.attributeType ?? 'Actual'),
        ) ?? requested[index];
      if (!asked) return;
      variables.push({
        ...component(result),
        attributeType: result.attributeType ?? 'Actual',
        value: asked.attributeValue,
      });
    });
  }
  await context.store.upsertDeviceVariables(chargePointId, variables, action, now);
}

function sender(context: ApiContext) {
  return async (
    reply: FastifyReply,
    chargePointId: string,
    action: string,
    payload: unknown,
    onAnswer?: (answer: unknown) => Promise<void>,
  ) => {
    const log = { chargePointId, action };
    try {
      if (
        !(await context.connections.isConnected(chargePointId)) &&
        !(await context.store.getChargePoint(chargePointId))
      ) {
        return reply.code(404).send(chargePointNotFound(chargePointId));
      }
      const answer = await context.connections.call(chargePointId, action, payload, {
        timeoutMs: context.callTimeoutMs,
      });
      context.logger.info({ ...log, answer }, 'command answered');
      await onAnswer?.(answer);
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
