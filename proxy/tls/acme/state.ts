// --acme-store: where the ACME account, certificates, challenge tokens and the ordering lock live.
//
//   file    (default) the data dir: file-store.ts, file-lock.ts, ../challenge-store.ts. Processes on one machine (PM2
//           cluster workers, `ocpp-edge certs`) share it; so do machines sharing a volume.
//   redis   --redis URL: redis-store.ts, redis-lock.ts, ../redis-challenge-store.ts. Proxies on several machines
//           share one account, one certificate and every challenge token, with no shared disk. Imported only
//           when chosen, so ioredis is not loaded into a proxy that does not use it.

import path from 'node:path';
import { ConfigError } from '../../../common/config.js';
import type { Logger } from '../../../common/logger.js';
import type { ProxyConfig } from '../../options.js';
import { FileChallengeStore } from '../challenge-store.js';
import type { ChallengeStore } from '../types.js';
import { FileLock } from './file-lock.js';
import { FileAcmeStore } from './file-store.js';
import type { AcmeLock } from './lock.js';
import type { AcmeStore } from './store.js';

/** At start, how long to wait for Redis before serving the placeholder and going on (it keeps reconnecting). */
const REDIS_READY_TIMEOUT_MS = 10_000;

export interface AcmeState {
  kind: 'file' | 'redis';
  store: AcmeStore;
  lock: AcmeLock;
  challenges: ChallengeStore;
  close(): Promise<void>;
}

/** ACME work is not latency-sensitive: give a busy Redis more time than the backend's request path does. */
const REDIS_COMMAND_TIMEOUT_MS = 5_000;

export type AcmeStateConfig = Pick<ProxyConfig, 'acmeStore' | 'redis' | 'dataDir'>;

export async function openAcmeState(config: AcmeStateConfig, logger: Logger): Promise<AcmeState> {
  if (config.acmeStore !== 'redis') return fileAcmeState(config.dataDir);
  if (!config.redis)
    throw new ConfigError('--redis', 'a Redis URL (--redis or REDIS_URL) is required with --acme-store redis');
  const [{ closeRedis, createRedisConnection, whenReady }, { RedisLock }, { RedisAcmeStore }, { RedisChallengeStore }] =
    await Promise.all([
      import('../../../common/redis.js'),
      import('./redis-lock.js'),
      import('./redis-store.js'),
      import('../redis-challenge-store.js'),
    ]);
  // A renewal check that fails while Redis is away is retried per backoff.ts; the served certificate stays.
  const whileDown = 'ACME state unavailable until it returns (the served certificate stays)';
  const redis = createRedisConnection({
    url: config.redis,
    name: 'proxy-acme',
    subscriber: false,
    commandTimeoutMs: REDIS_COMMAND_TIMEOUT_MS,
    logger,
    whileDown,
  });
  const subscriber = createRedisConnection({
    url: config.redis,
    name: 'proxy-acme-subscriber',
    subscriber: true,
    logger,
    whileDown,
  });
  if (!(await whenReady(redis, REDIS_READY_TIMEOUT_MS))) {
    logger.warn(
      { waitedMs: REDIS_READY_TIMEOUT_MS },
      'redis not reachable yet for --acme-store redis; starting anyway, the certificate is installed when it is',
    );
  }
  return {
    kind: 'redis',
    store: new RedisAcmeStore({ redis, subscriber, url: config.redis, logger }),
    lock: new RedisLock(redis, { logger }),
    challenges: new RedisChallengeStore(redis),
    close: async () => {
      await Promise.all([closeRedis(redis), closeRedis(subscriber)]);
    },
  };
}

export function fileAcmeState(dataDir: string): AcmeState {
  const store = new FileAcmeStore(dataDir);
  return {
    kind: 'file',
    store,
    lock: new FileLock(store.lockPath),
    challenges: new FileChallengeStore(path.join(dataDir, 'acme-challenges')),
    close: async () => undefined,
  };
}
