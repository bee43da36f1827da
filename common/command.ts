// Turns an option table and a start function into a yargs subcommand with the behaviour every long-running
// ocpp-edge process shares: configuration validated before anything starts (exit 2 naming the key), one logger,
// SIGTERM/SIGINT for a graceful stop, SIGHUP for a reload.

import type { Argv, CommandModule } from 'yargs';
import {
  ConfigError,
  loadConfig,
  redactConfig,
  renameConfigError,
  yargsOptions,
  type ConfigOf,
  type OptionSpecs,
} from './config.js';
import { createLogger, type Logger } from './logger.js';

/** What a started process gives back so signals can drive it. */
export interface RunningProcess {
  /** Graceful stop; resolves when everything is closed. */
  stop(): Promise<void>;
  /** SIGHUP. */
  reload?(): Promise<void>;
}

/** Exit code for an invalid configuration, distinct from a crash (1). */
export const EXIT_CONFIG = 2;

export interface ServiceCommand<T extends OptionSpecs> {
  name: string;
  describe: string;
  section: string;
  options: T;
  start(config: ConfigOf<T>, logger: Logger): Promise<RunningProcess>;
}

export function serviceCommand<T extends OptionSpecs>(command: ServiceCommand<T>): CommandModule {
  return {
    command: command.name,
    describe: command.describe,
    builder: (yargs: Argv) => yargs.options(yargsOptions(command.options, command.section) as never),
    handler: async (argv) => {
      const config = loadOrExit(command.options, argv as Record<string, unknown>, command.section);
      const logger = createLogger({
        level: String((config as Record<string, unknown>).logLevel ?? 'info'),
        name: command.section,
      });
      logger.info(
        { config: redactConfig(command.options, config as Record<string, unknown>) },
        `starting ${command.section}`,
      );
      let running: RunningProcess;
      try {
        running = await command.start(config, logger);
      } catch (error) {
        if (error instanceof ConfigError) exitWithConfigError(renameConfigError(error, config));
        logger.fatal({ err: error }, `${command.section} failed to start: ${(error as Error).message}`);
        await flushAndExit(logger, 1);
        return;
      }
      handleSignals(running, logger);
      // PM2 (wait_ready) starts routing to a reloaded process only once it says it is listening.
      process.send?.('ready');
    },
  };
}

/** Loads and validates a command's configuration, or prints one line naming the key and exits 2. */
export function loadOrExit<T extends OptionSpecs>(
  options: T,
  flags: Record<string, unknown>,
  section: string,
): ConfigOf<T> {
  try {
    return loadConfig(options, { flags, section });
  } catch (error) {
    if (error instanceof ConfigError) exitWithConfigError(error);
    throw error;
  }
}

export function exitWithConfigError(error: ConfigError): never {
  process.stderr.write(`ocpp-edge: invalid configuration: ${error.message}\n`);
  process.exit(EXIT_CONFIG);
}

function handleSignals(running: RunningProcess, logger: Logger): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    running.stop().then(
      () => flushAndExit(logger, 0),
      (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        void flushAndExit(logger, 1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    if (!running.reload) return;
    logger.info({ signal: 'SIGHUP' }, 'reloading');
    running.reload().catch((error: unknown) => logger.error({ err: error }, 'reload failed'));
  });
}

async function flushAndExit(logger: Logger, code: number): Promise<void> {
  await new Promise<void>((resolve) => logger.flush(() => resolve()));
  process.exit(code);
}
