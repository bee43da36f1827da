// Pending ACME http-01 challenges in Redis (--acme-store redis): whichever proxy the CA's validation request
// reaches answers it, whichever proxy placed the order. The Redis counterpart of challenge-store.ts.
//
// Each token expires after TOKEN_TTL_MS even if the order's clean-up never ran (a crash mid-order): tokens are
// single-use, and an order's authorizations expire long before that anyway.

import type { Redis } from 'ioredis';
import { acmeKeys } from './acme/redis-keys.js';
import { isChallengeToken } from './challenge-store.js';
import type { ChallengeStore } from './types.js';

const TOKEN_TTL_MS = 60 * 60_000;

export class RedisChallengeStore implements ChallengeStore {
  constructor(private readonly redis: Redis) {}

  async get(token: string): Promise<string | undefined> {
    if (!isChallengeToken(token)) return undefined;
    return (await this.redis.get(acmeKeys.challenge(token))) ?? undefined;
  }

  async set(token: string, keyAuthorization: string): Promise<void> {
    if (!isChallengeToken(token)) throw new Error(`invalid ACME challenge token ${JSON.stringify(token)}`);
    await this.redis.set(acmeKeys.challenge(token), keyAuthorization, 'PX', TOKEN_TTL_MS);
  }

  async remove(token: string): Promise<void> {
    if (!isChallengeToken(token)) return;
    await this.redis.del(acmeKeys.challenge(token));
  }
}
