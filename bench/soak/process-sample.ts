// One sample of a running ocpp-edge process, read from its private Prometheus listener (prom-client's default
// metrics, common/metrics.ts): resident memory, V8 heap in use, open file descriptors, event-loop delay (p99 of
// the last interval), and the handles and timers keeping its event loop alive.

export interface ProcessSample {
  rssBytes: number;
  heapUsedBytes: number;
  openFds: number;
  eventLoopDelayMs: number;
  activeHandles: number;
  activeTimers: number;
}

export type SampleKey = keyof ProcessSample;

/** The sample in a Prometheus text exposition; a quantity missing from it is NaN. */
export function parseSample(text: string): ProcessSample {
  const value = (name: string, labels?: string) => {
    const pattern = new RegExp(`^${name}${labels ? `\\{[^}]*${labels}[^}]*\\}` : '(?:\\{[^}]*\\})?'} (\\S+)`, 'm');
    const match = pattern.exec(text);
    return match ? Number(match[1]) : Number.NaN;
  };
  return {
    rssBytes: value('process_resident_memory_bytes'),
    heapUsedBytes: value('nodejs_heap_size_used_bytes'),
    openFds: value('process_open_fds'),
    eventLoopDelayMs: value('nodejs_eventloop_lag_p99_seconds') * 1000,
    activeHandles: value('nodejs_active_handles_total'),
    // Timers are resources of type Timeout (process.getActiveResourcesInfo()); none at all is 0, not missing.
    activeTimers: text.includes('nodejs_active_resources{')
      ? value('nodejs_active_resources', 'type="Timeout"') || 0
      : Number.NaN,
  };
}

export async function sampleProcess(metricsUrl: string): Promise<ProcessSample> {
  const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`${metricsUrl}: ${response.status}`);
  return parseSample(await response.text());
}
