// `ocpp-edge status`: one screen of what runs on this host — proxy and backend up, certificate days left,
// chargers connected, sessions running, error counters over the last seconds — from the private metrics
// listeners, like `systemctl status` for the stack. Exit 1 when something is wrong (a process down, a
// certificate under --min-days, an unhealthy upstream), 2 for an invalid configuration.

import type { Argv, CommandModule } from 'yargs';
import { exitWithConfigError, loadOrExit } from '../../common/command.js';
import { ConfigError, loadConfig, yargsOptions } from '../../common/config.js';
import { backendOptions } from '../../backend/options.js';
import { proxyOptions } from '../../proxy/options.js';
import { API_GROUP } from '../operator/api-options.js';
import { apiConnection } from '../operator/connection.js';
import { API_SECTION, apiOptions } from '../operator/options.js';
import { ownOptionsFirst } from '../../common/help-groups.js';
import { collectStatus } from './collect.js';
import { statusOptions } from './options.js';
import { formatStatus } from './report.js';

export const statusCommand: CommandModule = {
  command: 'status',
  describe:
    'One screen of the stack on this host: processes up, certificate days left, chargers connected, sessions running, recent errors',
  builder: (yargs: Argv) =>
    ownOptionsFirst(yargs.options(yargsOptions(statusOptions, API_SECTION) as never), Object.keys(apiOptions))
      .group(['api-url', 'token', 'timeout', 'page-size'], API_GROUP)
      .example('$0 status --config /etc/ocpp-edge/production.yaml', 'on the server')
      .epilogue(
        'Exit codes: 0 all well; 1 a process down, a certificate near expiry or an unhealthy upstream; 2 invalid configuration.',
      ),
  handler: async (argv) => {
    const config = loadOrExit(statusOptions, argv as Record<string, unknown>, API_SECTION);
    let proxyUrl = config.proxyMetricsUrl;
    let backendUrl = config.backendMetricsUrl;
    try {
      const proxy = loadConfig(proxyOptions, { flags: { config: config.configFile }, env: {}, section: 'proxy' });
      const backend = loadConfig(backendOptions, { flags: { config: config.configFile }, env: {}, section: 'backend' });
      proxyUrl ??= listenerUrl(proxy.metricsHost, proxy.metricsPort);
      backendUrl ??= listenerUrl(backend.metricsHost, backend.metricsPort);
    } catch (error) {
      if (error instanceof ConfigError) exitWithConfigError(error);
      throw error;
    }
    const report = await collectStatus({
      proxyUrl,
      backendUrl,
      sampleSeconds: config.sample,
      minDays: config.minDays,
      api: apiConnection(config),
    });
    const output = config.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report);
    process.stdout.write(output, () => process.exit(report.problems.length === 0 ? 0 : 1));
  },
};

function listenerUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}
