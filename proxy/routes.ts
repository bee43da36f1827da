import { chargePointIdFromPath, type OcppPathIdentity } from '../common/charge-point-identity.js';

// The plan's nginx locations, matched the same way (longest prefix wins), with their upstream timeouts:
//
//   location /ocpp/   WebSocket; idle timeout --ws-idle-timeout both ways, connect 60 s
//   location /api/    read/send 60 s (--upstream-timeout), connect 10 s
//   location /health  to the upstream's /health, no access-log line
//   location /        read/send 60 s (--upstream-timeout), connect 60 s (nginx's default)

export type RouteName = 'ocpp' | 'api' | 'health' | 'root';

export interface Route {
  name: RouteName;
  prefix: string;
  /** WebSocket upgrades are proxied only on routes that allow them. */
  websocket: boolean;
  /** Time allowed to connect to the upstream (for WebSockets: until its 101 answer). */
  connectTimeoutMs: number;
  /** Time the upstream may stay silent once connected, in either direction. */
  idleTimeoutMs: number;
  accessLog: boolean;
}

export interface RouteTimeouts {
  /** --ws-idle-timeout, seconds. */
  wsIdleTimeout: number;
  /** --upstream-timeout, seconds. */
  upstreamTimeout: number;
}

export function createRoutes(timeouts: RouteTimeouts): Route[] {
  const upstreamMs = timeouts.upstreamTimeout * 1000;
  const routes: Route[] = [
    {
      name: 'ocpp',
      prefix: '/ocpp/',
      websocket: true,
      connectTimeoutMs: 60_000,
      idleTimeoutMs: timeouts.wsIdleTimeout * 1000,
      accessLog: true,
    },
    {
      name: 'api',
      prefix: '/api/',
      websocket: false,
      connectTimeoutMs: 10_000,
      idleTimeoutMs: upstreamMs,
      accessLog: true,
    },
    {
      name: 'health',
      prefix: '/health',
      websocket: false,
      connectTimeoutMs: 60_000,
      idleTimeoutMs: upstreamMs,
      accessLog: false,
    },
    {
      name: 'root',
      prefix: '/',
      websocket: false,
      connectTimeoutMs: 60_000,
      idleTimeoutMs: upstreamMs,
      accessLog: true,
    },
  ];
  // Longest prefix first, so the first match is nginx's choice.
  return routes.sort((a, b) => b.prefix.length - a.prefix.length);
}

export function matchRoute(routes: readonly Route[], pathname: string): Route {
  for (const route of routes) if (pathname.startsWith(route.prefix)) return route;
  return routes[routes.length - 1];
}

/** The charge point identity in /ocpp/{id} (the one rule of common/charge-point-identity.ts), or undefined. */
export function chargePointIdOf(pathname: string, route: Route): OcppPathIdentity | undefined {
  return chargePointIdFromPath(pathname, route.prefix);
}

/**
 * Paths the public listener answers 404 itself, whatever the upstream would say: Prometheus metrics live on the
 * private metrics listeners (--metrics-port of the proxy and of the backend), and an upstream that still serves
 * them on its main port (an older backend, another central system) must not publish them through the edge.
 * Matched on the decoded path with case and repeated slashes folded, so no spelling gets through.
 */
const PRIVATE_PATHS = ['/metrics'];

export function isPrivatePath(pathname: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return false; // refused as malformed before this is asked
  }
  const folded = decoded.toLowerCase().replace(/[/\\]+/g, '/');
  return PRIVATE_PATHS.some(
    (path) => folded === path || folded.startsWith(`${path}/`) || folded.startsWith(`${path};`),
  );
}
