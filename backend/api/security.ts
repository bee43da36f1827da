// What chargers reported under the OCPP security extension, per charge point, and the operator's side of
// certificate signing:
//   GET  …/security-events                     SecurityEventNotification, newest first
//   GET  …/certificate-requests                CSRs (SignCertificate) and their state
//   POST …/certificate-requests/{n}/certificate an externally signed chain for a pending CSR: sent in CertificateSigned
//   GET  …/log-status, …/signed-firmware-status the LogStatusNotification / SignedFirmwareStatusNotification history
//   GET  …/installed-certificates               the last GetInstalledCertificateIds answers, per certificate type
//   POST …/installed-certificates/refresh      asks the charger now (GetInstalledCertificateIds) and keeps the answer

import type { FastifyInstance } from 'fastify';
import { sendCertificateSigned } from '../ocpp/security.js';
import { CallTimeoutError, NotConnectedError } from '../ocpp/connections.js';
import { chainMismatch } from '../security/certificate-signing.js';
import type { SecurityStatusKind } from '../store/security-store.js';
import { badRequest, notFound, type ApiContext } from './context.js';
import { chargePointIdParams, commonErrors, errorSchema } from './schemas.js';

interface IdParams {
  id: string;
}

const tags = ['security'];
const limitQuery = {
  type: 'object',
  properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
} as const;
const nullableString = { type: ['string', 'null'] } as const;

const certificateRequestSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    subject: { type: 'string' },
    keyType: { type: 'string' },
    status: { type: 'string', enum: ['rejected', 'pending', 'signed', 'accepted', 'refused'] },
    detail: nullableString,
    csr: { type: 'string' },
    certificateChain: nullableString,
    receivedAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

export async function securityRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  const { store } = context;
  app.get<{ Params: IdParams; Querystring: { limit: number } }>(
    '/api/charge-points/:id/security-events',
    {
      config: { chargePoint: 'registered' },
      schema: {
        tags,
        summary: 'SecurityEventNotification from the charger, newest first',
        params: chargePointIdParams,
        querystring: limitQuery,
        response: {
          200: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                type: { type: 'string' },
                timestamp: { type: 'string' },
                techInfo: nullableString,
                critical: { type: 'boolean' },
                receivedAt: { type: 'string' },
              },
            },
          },
          404: errorSchema,
          ...commonErrors,
        },
      },
    },
    async (request) => {
      return store.security.listSecurityEvents(request.params.id, request.query.limit);
    },
  );

  app.get<{ Params: IdParams; Querystring: { limit: number } }>(
    '/api/charge-points/:id/certificate-requests',
    {
      config: { chargePoint: 'registered' },
      schema: {
        tags,
        summary: 'CSRs the charger sent (SignCertificate), newest first, with what became of them',
        params: chargePointIdParams,
        querystring: limitQuery,
        response: { 200: { type: 'array', items: certificateRequestSchema }, 404: errorSchema, ...commonErrors },
      },
    },
    async (request) => {
      return store.security.listCertificateRequests(request.params.id, request.query.limit);
    },
  );

  app.post<{ Params: IdParams & { requestId: number }; Body: { certificateChain: string } }>(
    '/api/charge-points/:id/certificate-requests/:requestId/certificate',
    {
      config: { chargePoint: 'registered' },
      schema: {
        tags,
        summary: 'Post the signed chain for a pending CSR: sent to the charger in CertificateSigned',
        description:
          "certificateChain: PEM, leaf first, the leaf for the CSR's key and subject CN. 409: not pending, or the charger is not connected; 200 with the request as it stands after the charger's answer.",
        params: {
          type: 'object',
          properties: { ...chargePointIdParams.properties, requestId: { type: 'integer', minimum: 1 } },
          required: ['id', 'requestId'],
        },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['certificateChain'],
          properties: { certificateChain: { type: 'string', minLength: 1, maxLength: 10000 } },
        },
        response: {
          200: certificateRequestSchema,
          404: errorSchema,
          409: errorSchema,
          504: errorSchema,
          ...commonErrors,
        },
      },
    },
    async (request, reply) => {
      const { id, requestId } = request.params;
      const pending = await store.security.getCertificateRequest(id, requestId);
      if (!pending) return reply.code(404).send(notFound(`charge point ${id} has no certificate request ${requestId}`));
      if (pending.status !== 'pending' && pending.status !== 'refused')
        return reply
          .code(409)
          .send({ error: 'Conflict', message: `certificate request ${requestId} is ${pending.status}, not pending` });
      const mismatch = await chainMismatch(request.body.certificateChain, pending.csr);
      if (mismatch) return reply.code(400).send(badRequest(mismatch));
      if (!(await context.connections.isConnected(id)))
        return reply.code(409).send({ error: 'Conflict', message: `charge point ${id} is not connected` });
      try {
        await sendCertificateSigned(
          {
            chargePointId: id,
            store,
            logger: context.logger,
            metrics: context.metrics,
            now: () => new Date().toISOString(),
            callCharger: (action, payload) =>
              context.connections.call(id, action, payload, { timeoutMs: context.callTimeoutMs }),
          },
          requestId,
          request.body.certificateChain,
        );
      } catch (error) {
        if (error instanceof NotConnectedError)
          return reply.code(409).send({ error: 'Conflict', message: error.message });
        if (error instanceof CallTimeoutError)
          return reply.code(504).send({ error: 'Timeout', message: error.message });
        throw error;
      }
      return (await store.security.getCertificateRequest(id, requestId))!;
    },
  );

  for (const [route, kind, summary] of [
    ['log-status', 'log', 'LogStatusNotification history (after GetLog), newest first'],
    [
      'signed-firmware-status',
      'signedFirmware',
      'SignedFirmwareStatusNotification history (after SignedUpdateFirmware), newest first',
    ],
  ] as const satisfies ReadonlyArray<readonly [string, SecurityStatusKind, string]>) {
    app.get<{ Params: IdParams; Querystring: { limit: number } }>(
      `/api/charge-points/:id/${route}`,
      {
        config: { chargePoint: 'registered' },
        schema: {
          tags,
          summary,
          params: chargePointIdParams,
          querystring: limitQuery,
          response: {
            200: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  status: { type: 'string' },
                  requestId: { type: ['integer', 'null'] },
                  receivedAt: { type: 'string' },
                },
              },
            },
            404: errorSchema,
            ...commonErrors,
          },
        },
      },
      async (request) => {
        return store.security.listSecurityStatus(request.params.id, kind, request.query.limit);
      },
    );
  }

  const installedSchema = {
    type: 'array',
    items: {
      type: 'object',
      properties: {
        certificateType: { type: 'string' },
        hashAlgorithm: { type: 'string' },
        issuerNameHash: { type: 'string' },
        issuerKeyHash: { type: 'string' },
        serialNumber: { type: 'string' },
        reportedAt: { type: 'string' },
      },
    },
  } as const;

  app.get<{ Params: IdParams }>(
    '/api/charge-points/:id/installed-certificates',
    {
      config: { chargePoint: 'registered' },
      schema: {
        tags,
        summary: 'The certificates the charger last reported as installed (GetInstalledCertificateIds), by type',
        params: chargePointIdParams,
        response: { 200: installedSchema, 404: errorSchema, ...commonErrors },
      },
    },
    async (request) => {
      return store.security.listInstalledCertificates(request.params.id);
    },
  );

  app.post<{ Params: IdParams; Body: { certificateType?: string } }>(
    '/api/charge-points/:id/installed-certificates/refresh',
    {
      config: { chargePoint: 'registered' },
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        tags,
        summary: 'Ask the charger which certificates it has installed (GetInstalledCertificateIds) and keep the answer',
        description: 'certificateType: CentralSystemRootCertificate or ManufacturerRootCertificate; absent: both.',
        params: chargePointIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            certificateType: { type: 'string', enum: ['CentralSystemRootCertificate', 'ManufacturerRootCertificate'] },
          },
        },
        response: {
          200: installedSchema,
          404: errorSchema,
          409: errorSchema,
          502: errorSchema,
          504: errorSchema,
          ...commonErrors,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const types = request.body.certificateType
        ? [request.body.certificateType]
        : ['CentralSystemRootCertificate', 'ManufacturerRootCertificate'];
      const v201 = (await store.getChargePoint(id))?.ocppVersion === '2.0.1';
      for (const certificateType of types) {
        let answer: { status: string; certificateHashData?: Array<Record<string, string>> };
        try {
          answer = v201
            ? installedCertificates201(
                (await context.connections.call(
                  id,
                  'GetInstalledCertificateIds',
                  { certificateType: [CERTIFICATE_TYPES_201[certificateType]] },
                  { timeoutMs: context.callTimeoutMs },
                )) as InstalledCertificates201,
              )
            : ((await context.connections.call(
                id,
                'GetInstalledCertificateIds',
                { certificateType },
                {
                  timeoutMs: context.callTimeoutMs,
                },
              )) as typeof answer);
        } catch (error) {
          if (error instanceof NotConnectedError)
            return reply.code(409).send({ error: 'Conflict', message: error.message });
          if (error instanceof CallTimeoutError)
            return reply.code(504).send({ error: 'Timeout', message: error.message });
          return reply.code(502).send({ error: 'BadGateway', message: (error as Error).message });
        }
        // NotFound: the charger has none of this type, which is worth knowing too.
        await store.security.replaceInstalledCertificates(
          id,
          certificateType,
          (answer.certificateHashData ?? []).map((hash) => ({
            hashAlgorithm: hash.hashAlgorithm!,
            issuerNameHash: hash.issuerNameHash!,
            issuerKeyHash: hash.issuerKeyHash!,
            serialNumber: hash.serialNumber!,
          })),
          new Date().toISOString(),
        );
      }
      return store.security.listInstalledCertificates(id);
    },
  );
}

/** The 1.6 certificate types in OCPP 2.0.1's words (GetCertificateIdUseEnumType); the ISO 15118 ones are out of scope. */
const CERTIFICATE_TYPES_201: Readonly<Record<string, string>> = {
  CentralSystemRootCertificate: 'CSMSRootCertificate',
  ManufacturerRootCertificate: 'ManufacturerRootCertificate',
};

interface InstalledCertificates201 {
  status: string;
  certificateHashDataChain?: Array<{ certificateType: string; certificateHashData: Record<string, string> }>;
}

/** A 2.0.1 answer as the 1.6 one: its chains' leaf hashes (child certificates are not kept). */
function installedCertificates201(answer: InstalledCertificates201): {
  status: string;
  certificateHashData: Array<Record<string, string>>;
} {
  return {
    status: answer.status,
    certificateHashData: (answer.certificateHashDataChain ?? []).map((chain) => chain.certificateHashData),
  };
}
