// GET /api/edge: the proxies in front of this backend (certificates, upstreams, the last hour of connections and
// error counts), read from their private listeners by backend/edge/proxy-status.ts.

import type { FastifyInstance } from 'fastify';
import type { ProxyStatusWatcher } from '../edge/proxy-status.js';
import { commonErrors } from './schemas.js';

const sampleSchema = {
  type: 'object',
  properties: {
    at: { type: 'string' },
    connections: { type: 'number' },
    handshakeErrors: { type: 'number' },
    upgradeFailures: { type: 'number' },
    http5xx: { type: 'number' },
  },
} as const;

const proxySchema = {
  type: 'object',
  properties: {
    url: { type: 'string' },
    up: { type: 'boolean' },
    error: { type: 'string' },
    lastSeen: { type: 'string' },
    status: {
      type: 'object',
      properties: {
        pid: { type: 'integer' },
        startedAt: { type: 'string' },
        node: { type: 'string' },
        certificates: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              names: { type: 'array', items: { type: 'string' } },
              issuer: { type: 'string' },
              serialNumber: { type: 'string' },
              notBefore: { type: 'string' },
              notAfter: { type: 'string' },
              origin: { type: 'string' },
              nextRenewal: { type: 'string' },
              ariWindow: {
                type: 'object',
                description: 'ACME with ARI: the renewal window the CA suggests',
                properties: { start: { type: 'string' }, end: { type: 'string' } },
              },
            },
          },
        },
        upstreams: {
          type: 'array',
          items: {
            type: 'object',
            properties: { url: { type: 'string' }, healthy: { type: 'boolean' }, sessions: { type: 'integer' } },
          },
        },
      },
    },
    limits: {
      type: 'object',
      description: "The proxy's limits and bans: its connection ceiling, bans now and in all, refusals by reason",
      properties: {
        maxConnections: { type: 'number' },
        bansActive: { type: 'number' },
        bansTotal: { type: 'number' },
        refusals: { type: 'object', additionalProperties: { type: 'number' } },
      },
    },
    series: { type: 'array', items: sampleSchema },
  },
} as const;

export async function edgeRoutes(app: FastifyInstance, edge: ProxyStatusWatcher | undefined): Promise<void> {
  app.get(
    '/api/edge',
    {
      schema: {
        tags: ['edge'],
        summary: 'The proxies: certificates, upstreams, and connections and errors over the last hour',
        response: {
          200: { type: 'object', properties: { proxies: { type: 'array', items: proxySchema } } },
          ...commonErrors,
        },
      },
    },
    async () => ({ proxies: edge?.view() ?? [] }),
  );
}
