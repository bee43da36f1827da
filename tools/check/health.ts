// The plan's step 4.3: the health endpoint answers 200 through the proxy, within the plan's REST target.

import { type CheckResult, describeError, formatMs, PLAN_TARGETS_MS, timed } from './result.js';
import { timedGet, type CheckTarget } from './target.js';

const GROUP = 'health';
/** Timed requests after the one that opens the connection; the figure is their median. */
const SAMPLES = 5;

export async function checkHealth(target: CheckTarget): Promise<CheckResult[]> {
  const path = target.config.healthPath;
  let answer: Awaited<ReturnType<typeof timedGet>>;
  try {
    answer = await timedGet(target, path, SAMPLES);
  } catch (error) {
    return [
      { group: GROUP, name: path, status: 'fail', figure: 'no answer', target: '200', detail: describeError(error) },
    ];
  }
  const summary = healthSummary(answer.body);
  if (answer.status !== 200) {
    return [
      {
        group: GROUP,
        name: path,
        status: 'fail',
        figure: String(answer.status),
        target: '200',
        detail: summary || 'expected 200',
      },
    ];
  }
  const spread = `median of ${answer.samplesMs.length}, max ${formatMs(Math.max(...answer.samplesMs))}; first request with the TLS handshake ${formatMs(answer.firstMs)}`;
  return [timed(GROUP, path, answer.ms, PLAN_TARGETS_MS.rest, [summary, spread].filter(Boolean).join('; '), '200 in ')];
}

/** The status fields of ocpp-edge's /health (or the start of any other body). */
function healthSummary(body: string): string {
  try {
    const health = JSON.parse(body) as {
      status?: unknown;
      storage?: { status?: unknown };
      connectedChargePoints?: unknown;
    };
    return [
      health.status !== undefined ? `status ${String(health.status)}` : '',
      health.storage?.status !== undefined ? `storage ${String(health.storage.status)}` : '',
      health.connectedChargePoints !== undefined ? `${String(health.connectedChargePoints)} chargers connected` : '',
    ]
      .filter(Boolean)
      .join(', ');
  } catch {
    return body.trim().slice(0, 80);
  }
}
