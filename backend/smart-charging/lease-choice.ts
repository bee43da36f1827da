// Which group lease a backend uses: Redis when it is one of several (--redis), PostgreSQL advisory locks when
// several may share a PostgreSQL database without Redis, none needed on SQLite (one instance only).

import type { Logger } from '../../common/logger.js';
import { createRedisConnection } from '../../common/redis.js';
import type { ClusterConnections } from '../cluster/cluster-connections.js';
import type { BackendConfig } from '../options.js';
import type { Store } from '../store/store.js';
import { type GroupLease, SoleLease } from './group-lease.js';
import { PostgresGroupLease } from './postgres-group-lease.js';
import { RedisGroupLease } from './redis-group-lease.js';

export function createGroupLease(
  config: Pick<BackendConfig, 'redis' | 'groupLease'>,
  store: Store,
  cluster: ClusterConnections | undefined,
  logger: Logger,
): GroupLease {
  if (config.redis && cluster) {
    const redis = createRedisConnection({
      url: config.redis,
      name: 'backend-group-lease',
      subscriber: false,
      logger,
      whileDown: 'no instance decides for charging groups until it is back (their chargers keep the limits they hold)',
    });
    return new RedisGroupLease(redis, cluster.instanceId, config.groupLease * 1000);
  }
  if (store.dialect === 'postgres') return new PostgresGroupLease(store.db as never);
  return new SoleLease();
}
