// Access logging through pino: one line per HTTP request when its response ends, one line per WebSocket session
// when it closes. Fields are flat and named once here, so dashboards and log queries can rely on them.

import type { Logger } from '../common/logger.js';

export interface RequestLogLine {
  method: string;
  path: string;
  status: number;
  route: string;
  durationMs: number;
  client: string;
  contentLength: number;
  userAgent?: string;
}

export interface SessionLogLine {
  chargePointId: string;
  client: string;
  subprotocol?: string;
  durationMs: number;
  bytesFromClient: number;
  bytesToClient: number;
  closeCode: number;
  closedBy: 'client' | 'upstream' | 'proxy' | 'none';
  result: string;
  /** Only on sessions over plain ws:// (--plain-ocpp-on-http): `plain`. */
  transport?: 'plain';
}

export class AccessLog {
  private readonly logger: Logger;

  constructor(logger: Logger) {
    // Without the parent's redaction: these lines have fixed fields, none of them a secret (no header but the
    // User-Agent), and pino's redaction of the parent's wildcard paths cost 3 µs a line, about a tenth of the
    // proxy's CPU per forwarded request (docs/PERFORMANCE.md).
    this.logger = logger.child({ log: 'access' }, { redact: [] });
  }

  request(line: RequestLogLine): void {
    this.logger.info(line, 'request');
  }

  session(line: SessionLogLine): void {
    this.logger.info(line, 'websocket session');
  }
}
