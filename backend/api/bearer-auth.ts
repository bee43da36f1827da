// Authorization: Bearer TOKEN on everything under /api/. Tokens are compared in constant time: both sides are
// hashed to a fixed length first (timingSafeEqual needs equal lengths, and the length itself must not leak), and
// every configured token is compared even after a match. The list is read at each request, so a reload (SIGHUP)
// that replaces it applies to the next request.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export function bearerAuth(tokens: () => readonly string[]) {
  let digestsOf: readonly string[] | undefined;
  let expected: Buffer[] = [];
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const current = tokens();
    if (current !== digestsOf) [digestsOf, expected] = [current, current.map(digest)];
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
