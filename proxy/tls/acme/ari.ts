// ACME Renewal Information (RFC 9773): ask the CA when it wants a certificate renewed.
// GET {renewalInfo}/{certID} is unauthenticated; the answer is a suggested window and a Retry-After telling us
// when to ask again.

import acme from 'acme-client';
import { parseRetryAfter } from './backoff.js';
import type { RenewalWindow } from './renewal-schedule.js';

export interface RenewalInfo {
  window: RenewalWindow;
  explanationUrl: string | undefined;
  /** When to fetch again; RFC 9773 §4.3 suggests clamping to between 1 minute and 1 day. */
  retryAfterMs: number;
}

const MIN_POLL_MS = 60_000;
const MAX_POLL_MS = 24 * 60 * 60_000;
const DEFAULT_POLL_MS = 6 * 60 * 60_000;

export async function fetchRenewalInfo(renewalInfoUrl: string, certId: string): Promise<RenewalInfo> {
  const url = `${renewalInfoUrl.replace(/\/$/, '')}/${certId}`;
  // The axios instance acme-client uses: same trust settings, same problem recording.
  const response = await acme.axios.get(url, { validateStatus: () => true, responseType: 'json' });
  if (response.status !== 200) throw new Error(`renewalInfo ${url} answered HTTP ${response.status}`);
  const body = response.data as { suggestedWindow?: { start?: string; end?: string }; explanationURL?: string };
  const start = Date.parse(body.suggestedWindow?.start ?? '');
  const end = Date.parse(body.suggestedWindow?.end ?? '');
  if (!Number.isFinite(start) || !Number.isFinite(end) || end < start)
    throw new Error(`renewalInfo ${url} has no valid suggestedWindow`);
  const retryAfter = parseRetryAfter(response.headers['retry-after'] as string | undefined) ?? DEFAULT_POLL_MS;
  return {
    window: { start: new Date(start), end: new Date(end) },
    explanationUrl: body.explanationURL,
    retryAfterMs: Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, retryAfter)),
  };
}
