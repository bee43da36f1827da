// One pino logger per process. JSON lines on stdout where a program reads them (systemd, PM2, a pipe); human lines
// (common/pretty-log.ts) where a person does, in a terminal. --log-format json|pretty decides against the guess.

import pino, { type Logger, type LevelWithSilent } from 'pino';
import { prettyDestination } from './pretty-log.js';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** auto: human lines when stdout is a terminal, JSON otherwise. */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** The --log-format option every process declares (one for the whole stack: OCPP_EDGE_LOG_FORMAT). */
export const logFormatOption = {
  type: 'string',
  choices: LOG_FORMATS,
  describe: 'Log lines as JSON (for journald, PM2, a collector) or pretty (for people); auto: pretty in a terminal',
  default: 'auto',
  shared: true,
} as const;

// Secrets never reach the log, whichever object they ride in on.
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'password',
  '*.password',
  'apiToken',
  '*.apiToken',
  'apiTokens',
  '*.apiTokens',
  'accountKey',
  'privateKey',
];

export interface LoggerOptions {
  level: string;
  /** Process name added to every line ("proxy", "backend"). */
  name: string;
  /** Human lines instead of JSON; default from `format`. */
  pretty?: boolean;
  format?: LogFormat;
  /** Write somewhere other than stdout (tests). */
  destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.pretty ?? wantsPretty(options.format ?? 'auto');
  const base: pino.LoggerOptions = {
    name: options.name,
    level: options.level as LevelWithSilent,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (options.destination) return pino(base, options.destination);
  if (pretty) return pino(base, prettyDestination());
  return pino(base);
}

function wantsPretty(format: LogFormat): boolean {
  if (format !== 'auto') return format === 'pretty';
  // The older switch, still honoured: `ocpp-edge dev` and the tests set it.
  const flag = process.env.OCPP_EDGE_LOG_PRETTY;
  if (flag !== undefined && flag !== '') return /^(1|true|yes)$/i.test(flag);
  return Boolean(process.stdout.isTTY);
}

interface FdStream {
  fd?: unknown;
  destroy?: () => void;
  /** sonic-boom's state: a write in flight, bytes not yet written. */
  _writing?: boolean;
  _len?: number;
}

function fdStreamOf(logger: Logger): FdStream | undefined {
  const stream = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as FdStream | undefined;
  return stream && typeof stream.fd === 'number' && typeof stream.destroy === 'function' ? stream : undefined;
}

/**
 * Writes out what the logger holds, for at most `timeoutMs`, then closes it, so the process can exit without
 * hanging. pino writes stdout asynchronously and flushes synchronously at exit; when stdout's reader is gone, that
 * exit flush (sonic-boom's flushSync) retries the failed write for ever (EPIPE is not EAGAIN, and it sleeps and
 * loops), and a signal cannot interrupt it. So: let the asynchronous writes finish (or fail, which pino turns
 * into a silent logger) on the event loop, and destroy the destination before exiting so the exit flush skips it.
 */
export async function closeLogOutput(logger: Logger, timeoutMs: number): Promise<void> {
  const stream = fdStreamOf(logger);
  const deadline = Date.now() + timeoutMs;
  if (!stream) {
    // A transport (pino-pretty in a worker): its own flush, bounded.
    await new Promise<void>((resolve) => {
      setTimeout(resolve, timeoutMs).unref();
      logger.flush(() => resolve());
    });
    return;
  }
  while ((stream._writing || (stream._len ?? 0) > 0) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 10));
  abandonLogOutput(logger);
}

/** Drops whatever the logger still holds, so that exiting cannot hang on it (see closeLogOutput). */
export function abandonLogOutput(logger: Logger): void {
  try {
    fdStreamOf(logger)?.destroy?.();
  } catch {
    // nothing more to lose
  }
}
