// The proxy's Redis connections for --acme-store redis. Commands fail at once while Redis is unreachable (no
// offline queue: a renewal check fails and is retried per backoff.ts, the port-80 listener answers 500) instead
// of piling up, and ioredis reconnects in the background. TLS and AUTH come from the URL (rediss://user:pass@…).

import { once } from 'node:events';
import { Redis } from 'ioredis';
import { redactUrlPassword } from '../../../common/config.js';
import type { Logger } from '../../../common/logger.js';

/** A command without an answer within this long fails (Redis overloaded, or a half-open TCP connection). */
const COMMAND_TIMEOUT_MS = 5_000;
const CONNECT_TIMEOUT_MS = 5_000;
/** Reconnection back-off: 200 ms, 400 ms, … capped here, forever. */
const MAX_RECONNECT_DELAY_MS = 2_000;

export type RedisRole = 'acme' | 'acme-subscriber';

export function createRedisConnection(url: string, role: RedisRole, logger: Logger): Redis {
  const log = logger.child({ component: 'redis', role, redis: redactUrlPassword(url) });
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // A subscriber blocks in SUBSCRIBE mode: no per-command deadline there.
    commandTimeout: role === 'acme' ? COMMAND_TIMEOUT_MS : undefined,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 200, MAX_RECONNECT_DELAY_MS),
    // The subscriber subscribes again itself on every 'ready' (redis-store.ts), also after a Redis restart.
    autoResubscribe: false,
    connectionName: `ocpp-edge-proxy-${role}`,
  });
  let up = false;
  redis.on('ready', () => {
    if (!up) log.info('redis connection ready');
    up = true;
  });
  redis.on('close', () => {
    if (up) log.warn('redis connection lost; ACME state unavailable until it returns (the served certificate stays)');
    up = false;
  });
  // Without a listener ioredis prints every failed reconnection attempt; the lines above say it once.
  redis.on('error', (error: Error) => log.debug({ err: error.message }, 'redis error'));
  return redis;
}

/** Resolves true once the connection is ready, false after `timeoutMs` (it keeps trying in the background). */
export async function whenReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return true;
  try {
    await once(redis, 'ready', { signal: AbortSignal.timeout(timeoutMs) });
    return true;
  } catch {
    return false;
  }
}

/** QUIT when connected (pending replies arrive first), otherwise just stop reconnecting. */
export async function closeRedis(redis: Redis): Promise<void> {
  // A close we asked for is not "connection lost".
  redis.removeAllListeners('close');
  if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
  else redis.disconnect();
}
