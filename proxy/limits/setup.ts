// Builds the edge limits from the proxy's configuration: the connection ceiling from RLIMIT_NOFILE, the ban list
// (shared through Redis with --bans-store redis), the metrics and the private /bans endpoints.

import type { Registry } from 'prom-client';
import { ConfigError } from '../../common/config.js';
import type { Logger } from '../../common/logger.js';
import type { ProxyConfig } from '../options.js';
import { BanList } from './ban-list.js';
import { bansAdminHandler } from './bans-admin.js';
import { parseByteSize } from './byte-size.js';
import { EdgeLimits } from './edge-limits.js';
import { connectionCeiling, readFileLimit } from './fd-limit.js';
import { createLimitMetrics } from './metrics.js';

export async function createEdgeLimits(config: ProxyConfig, registry: Registry, logger: Logger) {
  if (config.bansStore === 'redis' && !config.redis)
    throw new ConfigError('bans-store', 'redis needs --redis (the Redis URL)');
  const ceiling = connectionCeiling(config.maxConnections, readFileLimit());
  const bans = new BanList(logger.child({ component: 'bans' }), config.banMaxTime * 1000);
  if (config.bansStore === 'redis') await bans.share(config.redis!);
  const metrics = createLimitMetrics(registry, bans, () => ceiling.maxConnections);
  const edge = new EdgeLimits(
    {
      trustProxy: config.trustProxy,
      maxConnections: ceiling.maxConnections,
      connectionsPerAddress: config.limitConnectionsPerAddress,
      connectionRate: config.limitConnectionRate,
      connectionBurst: config.limitConnectionBurst,
      tlsHandshakesPerAddress: config.limitTlsHandshakesPerAddress,
      apiRate: config.limitApiRate,
      apiBurst: config.limitApiBurst,
      ipv6Prefix: config.limitIpv6Prefix,
      failuresPerId: config.banFailuresPerId,
      idsPerAddress: config.banIdsPerAddress,
      addressRatio: config.banAddressRatio,
      banWindowMs: config.banWindow * 1000,
      banMs: config.banTime * 1000,
      maxBanMs: config.banMaxTime * 1000,
      banIgnore: config.banIgnore,
    },
    bans,
    metrics,
    logger.child({ component: 'limits' }),
  );
  return {
    edge,
    maxConnections: ceiling.maxConnections,
    warnings: ceiling.warnings,
    maxBodyBytes: parseByteSize(config.maxBodySize)!,
    admin: bansAdminHandler(bans, (address) => edge.keyOf(address), logger),
    close: () => bans.close(),
  };
}
