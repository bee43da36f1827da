// One pino logger per process. JSON on stdout in production; pino-pretty (as a transport, off the hot path)
// only when asked for or when a developer runs it in a terminal with NODE_ENV=development.

import pino, { type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

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
  pretty?: boolean;
  /** Write somewhere other than stdout (tests). */
  destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.pretty ?? wantsPretty();
  const base: pino.LoggerOptions = {
    name: options.name,
    level: options.level as LevelWithSilent,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (options.destination) return pino(base, options.destination);
  if (pretty) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } },
    });
  }
  return pino(base);
}

function wantsPretty(): boolean {
  const flag = process.env.OCPP_EDGE_LOG_PRETTY;
  if (flag !== undefined) return /^(1|true|yes)$/i.test(flag);
  return process.env.NODE_ENV === 'development' && Boolean(process.stdout.isTTY);
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
