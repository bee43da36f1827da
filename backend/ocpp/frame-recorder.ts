// Every OCPP frame in and out of one connection: a debug log line with the charge point id, the per-action
// message counter, and the database message log. The action of a CALLRESULT/CALLERROR is not in the frame, so
// the action of each open call is remembered by message id until its answer passes.

import type { Logger } from '../../common/logger.js';
import type { OcppVersion } from '../../common/ocpp-versions.js';
import type { BackendMetrics } from '../metrics.js';
import type { MessageLog } from './message-log.js';
import { hasSchema } from './validator.js';

const CALL = 2;
/** Open calls remembered per connection; a charger that never answers cannot grow this without bound. */
const MAX_OPEN_CALLS = 1000;

export class FrameRecorder {
  private readonly openCalls = new Map<string, string>();
  private readonly debug: boolean;

  constructor(
    private readonly chargePointId: string,
    private readonly logger: Logger,
    private readonly metrics: BackendMetrics,
    private readonly messageLog: MessageLog,
    private readonly version: OcppVersion = '1.6',
  ) {
    this.debug = logger.isLevelEnabled('debug');
  }

  record(frame: string, outbound: boolean): void {
    const direction = outbound ? 'out' : 'in';
    if (this.debug) this.logger.debug({ chargePointId: this.chargePointId, direction, frame }, `ocpp ${direction}`);

    const parsed = parseHeader(frame);
    let action: string | null = null;
    if (parsed?.type === CALL && parsed.action !== undefined) {
      // Garbage action names are counted as "unknown" so a charger cannot blow up the metric's label set.
      action = hasSchema(parsed.action, this.version) ? parsed.action : 'unknown';
      this.metrics.ocppMessages.inc({ action, direction });
      if (this.openCalls.size >= MAX_OPEN_CALLS) this.openCalls.clear();
      if (parsed.id !== undefined) this.openCalls.set(parsed.id, action);
    } else if (parsed?.id !== undefined) {
      action = this.openCalls.get(parsed.id) ?? null;
      this.openCalls.delete(parsed.id);
    }

    if (this.messageLog.enabled) {
      this.messageLog.add({
        chargePointId: this.chargePointId,
        direction,
        messageType: parsed?.type ?? null,
        messageId: parsed?.id ?? null,
        action,
        frame,
        loggedAt: new Date().toISOString(),
      });
    }
  }
}

function parseHeader(frame: string): { type: number; id?: string; action?: string } | undefined {
  try {
    const message: unknown = JSON.parse(frame);
    if (!Array.isArray(message) || typeof message[0] !== 'number') return undefined;
    return {
      type: message[0],
      id: typeof message[1] === 'string' ? message[1] : undefined,
      action: message[0] === CALL && typeof message[2] === 'string' ? message[2] : undefined,
    };
  } catch {
    return undefined;
  }
}
