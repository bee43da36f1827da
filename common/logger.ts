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
