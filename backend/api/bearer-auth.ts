// Authorization: Bearer TOKEN on everything under /api/. Tokens are compared in constant time: both sides are
// hashed to a fixed length first (timingSafeEqual needs equal lengths, and the length itself must not leak), and
// every configured token is compared even after a match.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export function bearerAuth(tokens: readonly string[]) {
  const expected = tokens.map(digest);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const match = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '');
    let accepted = false;
    if (match) {
      const offered = digest(match[1]);
      for (const token of expected) accepted = timingSafeEqual(offered, token) || accepted;
    }
    if (!accepted) {
      await reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({
          error: 'Unauthorized',
          message: match ? 'Invalid bearer token' : 'Missing Authorization: Bearer token',
        });
    }
  };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
