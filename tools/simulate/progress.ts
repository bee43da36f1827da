// Live progress of a simulation on stderr (stdout is kept for the report, so --json stays parseable). On a
// terminal one line rewritten in place every second; otherwise (CI logs, files, pipes) a plain line per interval.

import type { ProgressSnapshot } from './stats.js';

export class ProgressPrinter {
  private previous: ProgressSnapshot | undefined;
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly totalChargers: number,
  ) {}

  /** A terminal gets the rewritten line; how often update() should be called follows from it. */
  get live(): boolean {
    return Boolean(this.stream.isTTY);
  }

  update(snapshot: ProgressSnapshot): void {
    const line = formatProgress(snapshot, this.previous, this.totalChargers);
    this.previous = snapshot;
    if (this.live) {
      // \r and "erase line" so a shorter line leaves no tail of the previous one.
      this.stream.write(`\r\x1b[2K${line}`);
      this.drawn = true;
    } else {
      this.stream.write(`${line}\n`);
    }
  }

  /** Ends the live line so what follows starts on its own line. */
  finish(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}

export function formatProgress(
  snapshot: ProgressSnapshot,
  previous: ProgressSnapshot | undefined,
  totalChargers: number,
): string {
  const seconds = (snapshot.elapsedMs - (previous?.elapsedMs ?? 0)) / 1000;
  const rate = seconds > 0 ? (snapshot.messages - (previous?.messages ?? 0)) / seconds : 0;
  return [
    `[${formatElapsed(snapshot.elapsedMs)}]`,
    `started ${snapshot.started}/${totalChargers}`,
    `connected ${snapshot.connected}`,
    `booted ${snapshot.booted}`,
    `msg/s ${rate.toFixed(rate >= 100 ? 0 : 1)}`,
    `errors ${snapshot.errors}`,
    `reconnects ${snapshot.reconnects}`,
  ].join('  ');
}

function formatElapsed(ms: number): string {
  const total = Math.floor(ms / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const mmss = `${String(minutes).padStart(2, '0')}:${String(seconds).padStart(2, '0')}`;
  return hours > 0 ? `${hours}:${mmss}` : mmss;
}
