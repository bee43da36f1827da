// The ocpp-edge command line: one program, one subcommand per job. Started by bin/ocpp-edge.ts once the Node
// version is known to be supported.

import yargs, { type Argv, type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT_CONFIG } from '../common/command.js';
import { GLOBAL_OPTIONS, ownOptionsFirst } from '../common/help-groups.js';
import { unknownOptionsMessage } from './nearest-option.js';
import { packageManifest } from '../common/package-manifest.js';

// Each process imports only the command it runs: the proxy does not carry the central system's modules (fastify,
// kysely, the database drivers, ocpp-rpc) nor the backend the proxy's, which is about 10 MB of heap and 30 MB of
// RSS per process that every full GC would also mark. Without a known command name, all are loaded for the help.
const commands: Record<string, () => Promise<CommandModule>> = {
  proxy: async () => (await import('../proxy/command.js')).proxyCommand,
  backend: async () => (await import('../backend/command.js')).backendCommand,
  dev: async () => (await import('./dev.js')).devCommand,
  certs: async () => (await import('../proxy/tls/acme/certs-command.js')).certsCommand,
  bans: async () => (await import('../proxy/limits/bans-command.js')).bansCommand,
  backup: async () => (await import('../backend/backup/command.js')).backupCommand,
  restore: async () => (await import('../backend/backup/command.js')).restoreCommand,
  simulate: async () => (await import('../tools/simulate/command.js')).simulateCommand,
  check: async () => (await import('../tools/check/command.js')).checkCommand,
  validate: async () => (await import('../tools/validate/command.js')).validateCommand,
  status: async () => (await import('../tools/status/command.js')).statusCommand,
  doctor: async () => (await import('../tools/doctor/command.js')).doctorCommand,
  chargers: async () => (await import('../tools/operator/chargers-command.js')).chargersCommand,
  tags: async () => (await import('../tools/operator/tags-command.js')).tagsCommand,
  transactions: async () => (await import('../tools/operator/transactions-command.js')).transactionsCommand,
  install: async () => (await import('../tools/install/command.js')).installCommand,
  upgrade: async () => (await import('../tools/install/command.js')).upgradeCommand,
  rollback: async () => (await import('../tools/install/command.js')).rollbackCommand,
};
const args = hideBin(process.argv);
const named = args[0] !== undefined && Object.hasOwn(commands, args[0]) ? [args[0]] : Object.keys(commands);
const loaded = await Promise.all(named.map((name) => commands[name]!()));

const parser = loaded.reduce(
  (parser, command) => parser.command(ownFlagsFirst(command)),
  yargs(args).scriptName('ocpp-edge').usage('$0 <command> [options]'),
);
await parser
  .demandCommand(1, `Name a command: ${Object.keys(commands).join(', ')}`)
  .strict()
  .wrap(Math.min(120, process.stdout.columns || 120))
  .recommendCommands()
  .completion('completion', 'Print the shell completion script: ocpp-edge completion >> ~/.bashrc (or ~/.zshrc)')
  .fail((message, error) => {
    if (error) throw error;
    const text = unknownOptionsMessage(message, parser, args) ?? message;
    process.stderr.write(`${text.replace(/^/gm, 'ocpp-edge: ')}\nRun with --help for the options.\n`);
    process.exit(EXIT_CONFIG);
  })
  .help()
  .group(['help', 'version'], GLOBAL_OPTIONS)
  .version(packageManifest().version)
  .parseAsync();

/** The command with its own flags grouped before the global ones in its --help (common/help-groups.ts). */
function ownFlagsFirst(command: CommandModule): CommandModule {
  const builder = command.builder;
  if (typeof builder !== 'function') return command;
  return { ...command, builder: (yargs) => ownOptionsFirst(builder(yargs) as Argv) };
}
