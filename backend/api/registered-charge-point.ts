// The one "is this charge point registered?" guard of the API: a route under /api/charge-points/:id/… that needs
// the charger to exist says so with `config: { chargePoint: 'registered' }`, and this preHandler answers 404 before
// its handler runs. Routes that create a charge point, list them, or check existence themselves (with the row they
// need, or atomically with a write) leave the option out.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiContext } from './context.js';
import { notFound } from './context.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** 'registered': `:id` must name a registered charge point, else 404 (registered-charge-point.ts). */
    chargePoint?: 'registered';
  }
}

/** The 404 body every route answers for an unknown charge point. */
export function chargePointNotFound(id: string): { error: string; message: string } {
  return notFound(`charge point ${id} is not registered`);
}

export function requireRegisteredChargePoint(store: ApiContext['store']) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (request.routeOptions.config?.chargePoint !== 'registered') return undefined;
    const { id } = request.params as { id: string };
    if (await store.getChargePoint(id)) return undefined;
    return reply.code(404).send(chargePointNotFound(id));
  };
}
