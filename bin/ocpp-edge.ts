#!/usr/bin/env node
// The ocpp-edge command line: one program, one subcommand per job.

import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT_CONFIG } from '../common/command.js';
import { backendCommand } from '../backend/command.js';
import { devCommand } from './dev.js';
import { proxyCommand } from '../proxy/command.js';
import { certsCommand } from '../proxy/tls/acme/certs-command.js';
import { simulateCommand } from '../tools/simulate/command.js';
import { checkCommand } from '../tools/check/command.js';

await yargs(hideBin(process.argv))
  .scriptName('ocpp-edge')
  .usage('$0 <command> [options]')
  .command(proxyCommand)
  .command(backendCommand)
  .command(devCommand)
  .command(certsCommand)
  .command(simulateCommand)
  .command(checkCommand)
  .demandCommand(1, 'Name a command: proxy, backend, dev, certs, check, simulate')
  .strict()
  .wrap(Math.min(120, process.stdout.columns || 120))
  .fail((message, error) => {
    if (error) throw error;
    process.stderr.write(`ocpp-edge: ${message}\nRun with --help for the options.\n`);
    process.exit(EXIT_CONFIG);
  })
  .help()
  .version()
  .parseAsync();
