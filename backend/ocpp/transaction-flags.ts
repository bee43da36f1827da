// The flags a transaction gets from how its start, events or stop arrived (stored in transactions.flags, shown by
// the REST API, each one a transaction.flagged event): the tolerant policy's repairs, for 1.6 (core.ts) and 2.0.1
// (v201/transactions.ts) alike; suspect meter data is flagged by the store.

import type { CallInfo, HandlerContext } from './handler.js';

/** The flags a tolerated request gives its transaction: schemaViolations, and timestampDefaulted. */
export function flagsOf(call: CallInfo | undefined): string[] {
  if (!call || call.violations.length === 0) return [];
  const flags = ['schemaViolations'];
  if (call.violations.some((violation) => violation.path === '/timestamp' && violation.repair === 'defaulted'))
    flags.push('timestampDefaulted');
  return flags;
}

const FLAG_DETAILS: Readonly<Record<string, string>> = {
  schemaViolations: 'the charger sent it outside its schema; tolerated and recorded (…/schema-violations)',
  timestampDefaulted: 'the charger sent no readable timestamp; the time it was received was used',
  meterStopBelowStart: 'meterStop is below meterStart',
  stopBeforeStart: 'the stop time is before the start time',
};

export function emitFlag(context: HandlerContext, transactionId: number, flag: string): void {
  context.events.emit('transaction.flagged', {
    chargePointId: context.chargePointId,
    transactionId,
    flag,
    detail: `transaction ${transactionId}: ${FLAG_DETAILS[flag] ?? flag}`,
  });
}
