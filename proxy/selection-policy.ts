// Which upstream gets the next exchange, as Caddy's selectionpolicies.go: small pure functions over the pool's
// hosts, given which of them may be chosen.
//
//   WebSocket sessions   least connections: a charger stays connected for hours or days, so what loads an
//                        upstream is the number of sessions it holds, not the rate at which they arrive. After an
//                        upstream restarts it holds none and gets every new session until it has caught up, where
//                        round robin would leave it with a fraction of the fleet until the next reconnection wave.
//   HTTP requests        round robin: REST calls and /health last milliseconds, so the count in flight is 0 almost
//                        always and least connections would only ever pick the first upstream; rotating spreads them
//                        with no bookkeeping on the request path.

/** What a policy needs to know about an upstream. */
export interface Selectable {
  /** WebSocket sessions open (or being opened) through this upstream by this process. */
  readonly sessions: number;
}

/**
 * The eligible host with the fewest sessions. Ties (the common case at start-up, or hosts that caught up) are
 * broken by starting the scan at `cursor`, so equal hosts take turns instead of the first one taking them all.
 */
export function leastConnections<T extends Selectable>(
  hosts: readonly T[],
  eligible: (host: T) => boolean,
  cursor: number,
): T | undefined {
  let best: T | undefined;
  for (let offset = 0; offset < hosts.length; offset++) {
    const host = hosts[(cursor + offset) % hosts.length];
    if (eligible(host) && (best === undefined || host.sessions < best.sessions)) best = host;
  }
  return best;
}

/** The first eligible host at or after `cursor`, wrapping around. */
export function roundRobin<T>(hosts: readonly T[], eligible: (host: T) => boolean, cursor: number): T | undefined {
  for (let offset = 0; offset < hosts.length; offset++) {
    const host = hosts[(cursor + offset) % hosts.length];
    if (eligible(host)) return host;
  }
  return undefined;
}
