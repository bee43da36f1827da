// `ocpp-edge validate [--config FILE] [--connect]`: configuration OK, or one line per problem and exit 2.

import type { Argv, CommandModule } from 'yargs';
import { EXIT_CONFIG } from '../../common/command.js';
import { yargsOptions } from '../../common/config.js';
import { backendOptions } from '../../backend/options.js';
import { proxyOptions } from '../../proxy/options.js';
import { validateConfiguration } from './validate.js';

export const validateCommand: CommandModule = {
  command: 'validate',
  describe:
    'Check the whole configuration of proxy and backend without starting anything (like nginx -t): keys, ports, certificates and domains, database and Redis URLs',
  builder: (yargs: Argv) =>
    yargs
      .option('connect', {
        type: 'boolean',
        default: false,
        describe: 'Also reach the database (one query, no migration) and Redis (PING)',
      })
      .options({ ...yargsOptions(backendOptions, 'backend'), ...yargsOptions(proxyOptions, 'proxy') } as never)
      .example('$0 validate --config /etc/ocpp-edge/production.yaml', 'before a reload or a restart')
      .epilogue(
        'Exit codes: 0 configuration OK; 2 a problem (one line each, naming the key). Nothing is bound or ordered.',
      ),
  handler: async (argv) => {
    // Only what the user gave is in argv (the option tables' defaults are merged by loadConfig). A flag both
    // processes declare (--host, --log-level) is checked for both.
    const { _: _positional, $0: _script, connect, ...flags } = argv as Record<string, unknown>;
    const result = await validateConfiguration({ flags, connect: Boolean(connect) });
    for (const warning of result.warnings) process.stderr.write(`ocpp-edge: warning: ${warning}\n`);
    if (result.problems.length === 0) {
      process.stdout.write(`configuration OK (${result.checked.join(', ')})\n`);
      process.exit(0);
    }
    for (const problem of result.problems) process.stderr.write(`ocpp-edge: invalid configuration: ${problem}\n`);
    process.exit(EXIT_CONFIG);
  },
};
