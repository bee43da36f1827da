// Human log lines for a terminal: what `ocpp-edge proxy|backend|dev` print when stdout is a TTY (or with
// --log-format pretty). One line per entry — the time, the level, the process and the message — and the request
// and session lines of the access logs condensed to what a developer reads (`GET /health 200 3 ms`), so a dev
// session shows one short line per request. Formatted in the process (pino-pretty's formatter, not its worker
// transport): a terminal is read at human speed, and production, which is never a TTY, keeps plain JSON.

import { createRequire } from 'node:module';
import type { DestinationStream } from 'pino';
import type PinoPretty from 'pino-pretty';

export function prettyDestination(output: NodeJS.WriteStream = process.stdout): DestinationStream {
  // Loaded only here: a production process, which logs JSON, never carries the formatter and its colours.
  const pinoPretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  const pretty = pinoPretty.prettyFactory({
    colorize: Boolean(output.isTTY) && pinoPretty.isColorSupported,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,name,log,component',
    singleLine: true,
    messageFormat: '{if name}{name}: {end}{msg}',
  });
  return {
    write(line: string) {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        output.write(line);
        return;
      }
      output.write(pretty(condensed(entry)));
    },
  };
}

/** The access-log entries as one short message; every other entry as it is. */
export function condensed(entry: Record<string, unknown>): Record<string, unknown> {
  const { level, time, name } = entry;
  const base = { level, time, name };
  if (entry.msg === 'request' && entry.log === 'access')
    return {
      ...base,
      msg: `${entry.method} ${entry.path} ${entry.status} ${milliseconds(entry.durationMs)} (${entry.client})`,
    };
  if (entry.msg === 'websocket session' && entry.log === 'access')
    return {
      ...base,
      msg: `${entry.chargePointId} session ${entry.result}, closed ${entry.closeCode} by ${entry.closedBy} after ${seconds(entry.durationMs)}`,
    };
  // The whole configuration is for the JSON log; a person sees which file it came from (and runs validate).
  if (typeof entry.msg === 'string' && entry.msg.startsWith('starting ') && typeof entry.config === 'object') {
    const file = (entry.config as { configFile?: string }).configFile;
    return { ...base, msg: `${entry.msg}${file ? ` (${file})` : ''}` };
  }
  if ((entry.msg === 'http request' || entry.msg === 'api command') && entry.method !== undefined)
    return {
      ...base,
      msg: `${entry.method} ${entry.url} ${entry.status} ${milliseconds(entry.ms)}${entry.who ? ` by ${entry.who} (${entry.role})` : ''}`,
    };
  return entry;
}

function milliseconds(ms: unknown): string {
  return typeof ms === 'number' ? `${Math.round(ms)} ms` : '? ms';
}

function seconds(ms: unknown): string {
  return typeof ms === 'number' ? `${(ms / 1000).toFixed(1)} s` : '?';
}
