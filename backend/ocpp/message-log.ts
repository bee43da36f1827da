// The bounded log of OCPP frames kept in the database (--message-log-size rows, oldest dropped).
//
// Frames are buffered and written in batches off the answer path: the log is for operators, and must neither
// slow a charger's answer nor lose a transaction when it fails. The buffer is bounded too; under a flood the
// excess is counted and dropped.

import type { Logger } from '../../common/logger.js';
import type { NewLogEntry, Store } from '../store/store.js';

const FLUSH_INTERVAL_MS = 250;
const MAX_BUFFERED = 5000;

export class MessageLog {
  private buffer: NewLogEntry[] = [];
  private dropped = 0;
  private flushing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly size: number,
    private readonly logger: Logger,
  ) {
    if (size > 0) this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS).unref();
  }

  get enabled(): boolean {
    return this.size > 0;
  }

  add(entry: NewLogEntry): void {
    if (!this.enabled) return;
    if (this.buffer.length >= MAX_BUFFERED) {
      this.dropped++;
      return;
    }
    this.buffer.push(entry);
  }

  /** Writes what is buffered; resolves when it is stored (or given up). */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    this.flushing = (async () => {
      try {
        await this.store.appendMessages(batch, this.size);
      } catch (error) {
        this.logger.warn({ err: error, frames: batch.length }, 'message log: could not store frames');
      }
      if (this.dropped > 0) {
        this.logger.warn({ dropped: this.dropped }, 'message log: buffer full, frames dropped');
        this.dropped = 0;
      }
    })().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
    await this.flush();
  }
}
