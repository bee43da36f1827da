// Redis connections for both processes (backend presence and command routing, proxy ACME state), configured so
// that Redis going away can never hang or pile up work: commands fail at once while it is unreachable (no offline
// queue), each command has a deadline, and ioredis keeps reconnecting in the background with a capped back-off.
// TLS and AUTH come from the URL (rediss://user:password@host).

import { once } from 'node:events';
import { Redis } from 'ioredis';
import { redactUrlPassword } from './config.js';
import type { Logger } from './logger.js';

export type { Redis };

export interface RedisConnectionOptions {
  url: string;
  /** Shown in logs and as the connection's CLIENT name, e.g. "backend-commands", "proxy-acme-subscriber". */
  name: string;
  /** A subscriber blocks in SUBSCRIBE mode: it gets no per-command deadline. */
  subscriber: boolean;
  logger: Logger;
  /** Deadline of one command, and of the connection attempt (default 2 s). */
  commandTimeoutMs?: number;
  /** Logged once when the connection is lost: what this process does without Redis. */
  whileDown: string;
  /** Called with true when the connection becomes ready, false when it is lost. */
  onStateChange?(up: boolean): void;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 2000;
/** Reconnection back-off: 100 ms, 200 ms, … capped here, forever. */
const MAX_RECONNECT_DELAY_MS = 1000;

export function createRedisConnection(options: RedisConnectionOptions): Redis {
  const timeout = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const log = options.logger.child({
    component: 'redis',
    connection: options.name,
    redis: redactUrlPassword(options.url),
  });
  const redis = new Redis(options.url, {
    // Fail instead of queueing while disconnected: a REST call or an OCPP answer must never wait for Redis.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: options.subscriber ? undefined : timeout,
    connectTimeout: timeout,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
    // Subscribers subscribe again themselves on every 'ready', so they also recover from a Redis restart that
    // lost every subscription.
    autoResubscribe: false,
    connectionName: `ocpp-edge-${options.name}`,
  });

  let up = false;
  const setUp = (next: boolean) => {
    if (next === up) return;
    up = next;
    if (next) log.info('redis connection ready');
    else log.warn(`redis connection lost; ${options.whileDown}`);
    options.onStateChange?.(next);
  };
  redis.on('ready', () => setUp(true));
  redis.on('close', () => setUp(false));
  redis.on('end', () => setUp(false));
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
  redis.removeAllListeners('end');
  if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
  else redis.disconnect();
}
