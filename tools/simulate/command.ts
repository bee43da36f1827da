// `ocpp-edge simulate`: runs the simulation engine (fleet.ts) from the command line, with live progress on stderr
// and the report on stdout.
//
// Exit codes: 0 when the run completed, at least one charger had its BootNotification accepted and what was asked
// for happened (--transactions: at least one started; a mixed fleet: so for each version); 1 when not a
// single charger was accepted (none could connect, every upgrade was refused, or the central system never said
// Accepted) or the run failed; 2 for an invalid configuration. Ctrl-C (or SIGTERM) ends the run early and still
// prints the report; a second Ctrl-C exits at once (130).

import pino from 'pino';
import type { Argv, CommandModule } from 'yargs';
import { ConfigError, originOf, renameConfigError, yargsOptions } from '../../common/config.js';
import { stackDefaults } from '../stack-defaults.js';
import { exitWithConfigError, loadOrExit } from '../../common/command.js';
import { createLogger } from '../../common/logger.js';
import { runSimulation } from './fleet.js';
import { simulateOptions } from './options.js';
import { ProgressPrinter } from './progress.js';
import { formatReport, type SimulationReport } from './report.js';

export const simulateCommand: CommandModule = {
  command: 'simulate',
  describe:
    'Simulate N OCPP 1.6-J and/or 2.0.1 chargers (--ocpp) against a central system (ws:// or wss://) and report connect/boot times, RTTs and errors',
  builder: (yargs: Argv) =>
    yargs
      .options(yargsOptions(simulateOptions, 'simulate') as never)
      .epilogue(
        'Exit codes: 0 the run completed, at least one charger was accepted and what was asked happened; 1 no charger was ' +
          'accepted (none could connect, upgrades refused, or never Accepted), or --transactions started none (the ' +
          'report says why); 2 invalid configuration. Ctrl-C ends the run early and still reports.',
      ),
  handler: async (argv) => {
    const loaded = loadOrExit(simulateOptions, argv as Record<string, unknown>, 'simulate');
    const { configFile, json, progressInterval, logLevel, ...options } = loaded;
    // A --config that also has a proxy: section says where that stack listens and which CA it needs.
    let stack: ReturnType<typeof stackDefaults>;
    try {
      stack = stackDefaults(configFile);
    } catch (error) {
      if (error instanceof ConfigError) exitWithConfigError(error);
      throw error;
    }
    if (stack) {
      if (originOf(loaded, 'url').source === 'default') options.url = stack.ocppUrl;
      options.ca ??= stack.ca;
    }
    // Logs go to stderr: stdout carries the report.
    const logger = createLogger({
      level: logLevel,
      name: 'simulate',
      destination: pino.destination({ dest: 2, sync: true }),
    });
    const progress = new ProgressPrinter(process.stderr, options.chargers);

    const interruption = new AbortController();
    const onSignal = () => {
      if (interruption.signal.aborted) process.exit(130);
      process.stderr.write('\nocpp-edge simulate: stopping (again to quit at once)\n');
      interruption.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    let report: SimulationReport;
    try {
      report = await runSimulation(options, {
        logger,
        signal: interruption.signal,
        onProgress: (snapshot) => progress.update(snapshot),
        progressIntervalMs: progress.live ? 1000 : progressInterval * 1000,
      });
    } catch (error) {
      progress.finish();
      if (error instanceof ConfigError) exitWithConfigError(renameConfigError(error, loaded));
      process.stderr.write(`ocpp-edge simulate: ${(error as Error).message}\n`);
      process.exit(1);
    }
    progress.finish();
    const output = json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report);
    // Exit once stdout has taken the report: a pipe may not have drained yet.
    process.stdout.write(output, () => process.exit(report.ok ? 0 : 1));
  },
};
