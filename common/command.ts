// Turns an option table and a start function into a yargs subcommand with the behaviour every long-running
// ocpp-edge process shares: configuration validated before anything starts (exit 2 naming the key), one logger,
// SIGTERM/SIGINT for a graceful stop within a deadline (a second signal exits at once), SIGHUP for a reload.

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
import { EXIT_CONFIG } from './exit-codes.js';
import { abandonLogOutput, closeLogOutput, createLogger, type LogFormat, type Logger } from './logger.js';

/** What the command gives a process it starts, besides its configuration. */
export interface ProcessLifecycle<C> {
  /** The configuration loaded again from the same flags, environment and file (SIGHUP); throws a ConfigError. */
  reloadConfig(): C;
}

/** What a started process gives back so signals can drive it. */
export interface RunningProcess {
  /** Graceful stop; resolves when everything is closed. */
  stop(): Promise<void>;
  /** SIGHUP. */
  reload?(): Promise<void>;
}

export { EXIT_CONFIG } from './exit-codes.js';

export interface ServiceCommand<T extends OptionSpecs> {
  name: string;
  describe: string;
  section: string;
  options: T;
  start(config: ConfigOf<T>, logger: Logger, lifecycle: ProcessLifecycle<ConfigOf<T>>): Promise<RunningProcess>;
  /**
   * How long a graceful stop may take before the process exits anyway (code 1): the process's own drain time plus
   * a margin, kept under the service manager's kill timeout (PM2 kill_timeout, systemd TimeoutStopSec).
   */
  stopDeadlineMs?(config: ConfigOf<T>): number;
}

/** Default stop deadline for processes that declare none. */
export const DEFAULT_STOP_DEADLINE_MS = 15_000;
/** Longest wait for the logger to write out its last lines; a stdout nobody reads any more must not hold the exit. */
const LOG_FLUSH_TIMEOUT_MS = 1000;

export function serviceCommand<T extends OptionSpecs>(command: ServiceCommand<T>): CommandModule {
  return {
    command: command.name,
    describe: command.describe,
    builder: (yargs: Argv) => yargs.options(yargsOptions(command.options, command.section) as never),
    handler: async (argv) => {
      const config = loadOrExit(command.options, argv as Record<string, unknown>, command.section);
      const logger = createLogger({
        level: String((config as Record<string, unknown>).logLevel ?? 'info'),
        format: (config as Record<string, unknown>).logFormat as LogFormat | undefined,
        name: command.section,
      });
      logger.info(
        { config: redactConfig(command.options, config as Record<string, unknown>) },
        `starting ${command.section}`,
      );
      let running: RunningProcess;
      try {
        const flags = argv as Record<string, unknown>;
        running = await command.start(config, logger, {
          reloadConfig: () => loadConfig(command.options, { flags, section: command.section }),
        });
      } catch (error) {
        if (error instanceof ConfigError) exitWithConfigError(renameConfigError(error, config));
        logger.fatal({ err: error }, `${command.section} failed to start: ${(error as Error).message}`);
        await flushAndExit(logger, 1);
        return;
      }
      handleSignals(running, logger, command.stopDeadlineMs?.(config) ?? DEFAULT_STOP_DEADLINE_MS);
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

function handleSignals(running: RunningProcess, logger: Logger, deadlineMs: number): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // The operator (or the service manager) insists: no more waiting, not even for the log.
      process.stderr.write(`ocpp-edge: second ${signal}, exiting now\n`);
      abandonLogOutput(logger);
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    }
    stopping = true;
    logger.info({ signal, deadlineMs }, 'stopping (again to exit at once)');
    setTimeout(() => {
      process.stderr.write(`ocpp-edge: still stopping after ${deadlineMs} ms, exiting anyway\n`);
      abandonLogOutput(logger);
      process.exit(1);
    }, deadlineMs);
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
  await closeLogOutput(logger, LOG_FLUSH_TIMEOUT_MS);
  process.exit(code);
}
