// The Redis connections of one backend instance, configured so that Redis going away can never hang or pile up
// work in this process: commands fail at once while it is unreachable (no offline queue), each command has a
// deadline, and ioredis keeps reconnecting in the background with a capped back-off.

import { Redis } from 'ioredis';
import { redactUrlPassword } from '../../common/config.js';
import type { Logger } from '../../common/logger.js';

export interface RedisClientOptions {
  url: string;
  /** "commands" (presence, publishing) or "subscriber" (pub/sub mode needs a connection of its own). */
  role: 'commands' | 'subscriber';
  logger: Logger;
  /** Called with true when the connection becomes ready, false when it is lost. */
  onStateChange(up: boolean): void;
}

/** A command without an answer within this long fails (Redis overloaded or half-open TCP). */
const COMMAND_TIMEOUT_MS = 2000;
const CONNECT_TIMEOUT_MS = 2000;
/** Reconnection back-off: 100 ms, 200 ms, … capped here, forever. */
const MAX_RECONNECT_DELAY_MS = 1000;

export function createRedisClient(options: RedisClientOptions): Redis {
  const { url, role, logger } = options;
  const log = logger.child({ component: 'redis', role, redis: redactUrlPassword(url) });
  const client = new Redis(url, {
    // Fail instead of queueing while disconnected: a REST call or an OCPP answer must never wait for Redis.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: role === 'commands' ? COMMAND_TIMEOUT_MS : undefined,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
    // The subscriber resubscribes itself on every 'ready' (see CommandRouter), so it also works after a Redis
    // restart that lost every subscription.
    autoResubscribe: false,
    connectionName: `ocpp-edge-backend-${role}`,
    lazyConnect: false,
  });

  let up = false;
  const setUp = (next: boolean, reason?: string) => {
    if (next === up) return;
    up = next;
    if (next) log.info('redis connection ready');
    else log.warn({ reason }, 'redis connection lost; serving local charge points only until it returns');
    options.onStateChange(next);
  };
  client.on('ready', () => setUp(true));
  client.on('close', () => setUp(false, 'connection closed'));
  client.on('end', () => setUp(false, 'connection ended'));
  // Without a listener ioredis prints every failed reconnection attempt; the state change above says it once.
  client.on('error', (error: Error) => log.debug({ err: error.message }, 'redis error'));
  return client;
}
