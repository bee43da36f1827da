// The live event stream (GET /api/events, Server-Sent Events). EventSource cannot send an Authorization header
// and the token must never be in a URL, so the stream is read with fetch and parsed by eventsource-parser. After
// a drop it reconnects with Last-Event-ID, so nothing that happened meanwhile is missed. Each event revalidates
// the data it may change; revalidations are batched, so a boot storm of a thousand chargers costs a few requests.

import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { useEffect, useRef, useState } from 'react';
import { useSWRConfig } from 'swr';
import { currentToken } from './session';

const RECONNECT_MS = [1000, 2000, 5000, 10000];
const BATCH_MS = 500;

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'unavailable';

/** Which cached API paths an event may have changed. */
export function affectedPaths(message: EventSourceMessage): ((key: string) => boolean)[] {
  let chargePointId: string | undefined;
  try {
    const data = JSON.parse(message.data) as { chargePointId?: unknown; data?: { chargePointId?: unknown } };
    const id = data.chargePointId ?? data.data?.chargePointId;
    if (typeof id === 'string') chargePointId = id;
  } catch {
    // Not JSON: revalidate the lists only.
  }
  const type = message.event ?? '';
  const matchers: ((key: string) => boolean)[] = [
    (key) => key.startsWith('/api/charge-points?') || key === '/api/charge-points' || key.startsWith('/api/fleet'),
  ];
  if (chargePointId) {
    const prefix = `/api/charge-points/${encodeURIComponent(chargePointId)}`;
    matchers.push((key) => key === prefix || key.startsWith(`${prefix}/`) || key.startsWith(`${prefix}?`));
  }
  if (/transaction|meter/i.test(type)) matchers.push((key) => key.startsWith('/api/transactions'));
  return matchers;
}

export function LiveEvents() {
  const { mutate } = useSWRConfig();
  const [state, setState] = useState<StreamState>('connecting');
  const pending = useRef<((key: string) => boolean)[]>([]);

  useEffect(() => {
    const abort = new AbortController();
    let lastEventId: string | undefined;
    let attempt = 0;
    let flushTimer: ReturnType<typeof setTimeout> | undefined;

    const flush = () => {
      flushTimer = undefined;
      const matchers = pending.current.splice(0);
      void mutate((key) => typeof key === 'string' && matchers.some((matches) => matches(key)));
    };
    const onEvent = (message: EventSourceMessage) => {
      if (message.id) lastEventId = message.id;
      pending.current.push(...affectedPaths(message));
      flushTimer ??= setTimeout(flush, BATCH_MS);
    };

    const run = async () => {
      while (!abort.signal.aborted) {
        try {
          const headers: Record<string, string> = { accept: 'text/event-stream' };
          const token = currentToken();
          if (token) headers.authorization = `Bearer ${token}`;
          if (lastEventId) headers['last-event-id'] = lastEventId;
          const response = await fetch('/api/events', { headers, signal: abort.signal });
          if (response.status === 404) return setState('unavailable');
          if (!response.ok || !response.body) throw new Error(`events: ${response.status}`);
          setState('live');
          attempt = 0;
          const parser = createParser({ onEvent });
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            parser.feed(value);
          }
        } catch {
          if (abort.signal.aborted) return;
        }
        setState('reconnecting');
        // Whatever changed while the stream was down is re-read when it comes back.
        pending.current.push(() => true);
        await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS[Math.min(attempt++, RECONNECT_MS.length - 1)]));
      }
    };
    void run();
    return () => {
      abort.abort();
      clearTimeout(flushTimer);
    };
  }, [mutate]);

  const label = { connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…', unavailable: 'no stream' }[
    state
  ];
  return (
    <span className={`live live-${state}`} data-testid="live-state" title="Live updates from /api/events">
      {label}
    </span>
  );
}
