// The record of every violation the tolerant policy accepted: a counter by action and keyword, a warn log line
// per violation naming the charger, the action, the JSON path and the rule, and per charger in the database a count
// and its newest violations (GET /api/charge-points/{id}/schema-violations, GET /api/schema-violations), and a
// schema.violation event (webhooks, /api/events) per violation.

import type { Logger } from '../../common/logger.js';
import type { EventBus } from '../events/bus.js';
import type { BackendMetrics } from '../metrics.js';
import type { Store } from '../store/store.js';
import type { SchemaViolation } from './tolerance/policy.js';

/** Violations kept per charger in the database (the count goes on). */
export const KEPT_VIOLATIONS_PER_CHARGER = 50;
/** Log lines for one request; a payload with hundreds of bad sampled values gets a summary for the rest. */
const LOGGED_PER_REQUEST = 10;

export class SchemaViolationRecorder {
  constructor(
    private readonly store: Store,
    private readonly metrics: BackendMetrics,
    private readonly logger: Logger,
    private readonly events: EventBus,
  ) {}

  /** Counts and logs now; the database write follows, off the charger's answer (its failure is logged). */
  record(chargePointId: string, action: string, messageId: string, violations: readonly SchemaViolation[]): void {
    for (const violation of violations) {
      this.metrics.schemaViolations.inc({ action, keyword: violation.keyword });
      this.events.emit('schema.violation', {
        chargePointId,
        action,
        direction: 'inbound',
        isCall: true,
        message: `${violation.path || '(payload)'} ${violation.rule}`,
        tolerated: true,
        path: violation.path,
        keyword: violation.keyword,
        repair: violation.repair,
      });
    }
    for (const violation of violations.slice(0, LOGGED_PER_REQUEST)) {
      this.logger.warn(
        {
          chargePointId,
          action,
          messageId,
          path: violation.path,
          keyword: violation.keyword,
          rule: violation.rule,
          repair: violation.repair,
          raw: violation.raw,
        },
        'tolerated schema violation',
      );
    }
    if (violations.length > LOGGED_PER_REQUEST) {
      this.logger.warn(
        { chargePointId, action, messageId, more: violations.length - LOGGED_PER_REQUEST },
        'tolerated schema violations: more in this request',
      );
    }
    const rows = violations.map((violation) => ({ ...violation, action, messageId }));
    this.store
      .recordSchemaViolations(chargePointId, rows, new Date().toISOString(), KEPT_VIOLATIONS_PER_CHARGER)
      .catch((error: unknown) =>
        this.logger.error({ err: error, chargePointId, action }, 'schema violations could not be stored'),
      );
  }
}
