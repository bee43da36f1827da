// `ocpp-edge check URL`: the migration plan's Phase 4 against a running site, from any machine that reaches it.
//
// Exit codes: 0 every check passed (rows marked "not tested" aside); 1 a check failed; 2 invalid configuration.

import type { Argv, CommandModule } from 'yargs';
import { ConfigError, originOf, renameConfigError, yargsOptions } from '../../common/config.js';
import { stackDefaults, type StackDefaults } from '../stack-defaults.js';
import { exitWithConfigError, loadOrExit } from '../../common/command.js';
import { checkOptions } from './options.js';
import { formatReport, type CheckReport } from './report.js';
import { runChecks } from './run.js';

export const checkCommand: CommandModule = {
  command: 'check [url]',
  describe:
    "Check a deployment from outside: certificate, TLS versions, HTTP redirect, security headers, /health, and an OCPP BootNotification and Heartbeat over WSS, timed against the plan's targets",
  builder: (yargs: Argv) =>
    yargs
      .options(yargsOptions(checkOptions, 'check') as never)
      .positional('url', { type: 'string', describe: 'Base URL of the site, e.g. https://yourdomain.com' })
      .example('$0 check https://yourdomain.com --charger-id HEALTHCHECK-01', 'the daily check')
      .example(
        '$0 check https://yourdomain.com --address 203.0.113.5 --http-port 80',
        'the new server, before the DNS switch',
      )
      .epilogue('Exit codes: 0 every check passed; 1 a check failed; 2 invalid configuration.'),
  handler: async (argv) => {
    const loaded = loadOrExit(checkOptions, argv as Record<string, unknown>, 'check');
    const { json, ...config } = loaded;
    // A --config that also has a proxy: section says where that stack listens and which CA it needs.
    let stack: StackDefaults | undefined;
    try {
      stack = stackDefaults(loaded.configFile);
    } catch (error) {
      if (error instanceof ConfigError) exitWithConfigError(error);
      throw error;
    }
    if (stack) {
      if (originOf(loaded, 'url').source === 'default') config.url = stack.siteUrl;
      if (originOf(loaded, 'http-port').source === 'default') config.httpPort = stack.httpPort;
      config.ca ??= stack.ca;
    }
    let report: CheckReport;
    try {
      report = await runChecks({ ...config, json });
    } catch (error) {
      if (error instanceof ConfigError) exitWithConfigError(renameConfigError(error, loaded));
      process.stderr.write(`ocpp-edge check: ${(error as Error).message}\n`);
      process.exit(1);
    }
    if (!report.ok && !config.ca && isLocal(config.url))
      process.stderr.write(
        'ocpp-edge check: checking a local stack (npm start)? Pass its configuration, --config config/development.yaml: ' +
          'the CA (--ca data/self-signed/localhost.crt) and the ports (--http-port 8000) are read from its proxy: section.\n',
      );
    const output = json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report);
    // Exit once stdout has taken the report: a pipe may not have drained yet.
    process.stdout.write(output, () => process.exit(report.ok ? 0 : 1));
  },
};

function isLocal(url: string | undefined): boolean {
  if (!url) return false;
  try {
    return ['localhost', '127.0.0.1', '[::1]'].includes(new URL(url).hostname);
  } catch {
    return false;
  }
}
