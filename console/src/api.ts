// The console's one way to the REST API: same origin, the session's bearer token, JSON in and out. An error
// answer becomes an ApiError carrying the API's own message, which the pages show as it is.

import { currentToken, signOut } from './session';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

export type Role = 'viewer' | 'operator' | 'admin';
const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

export function roleAllows(held: Role | undefined, needed: Role): boolean {
  return held !== undefined && ROLES.indexOf(held) >= ROLES.indexOf(needed);
}

/** One page of a list and the cursor of the next (the API's X-Next-Cursor), if there may be more. */
export interface Page<T> {
  items: T[];
  next?: string;
}

export async function apiPage<T>(path: string): Promise<Page<T>> {
  let next: string | undefined;
  const items = await api<T[]>(path, {}, (headers) => {
    next = headers.get('x-next-cursor') ?? undefined;
  });
  return { items, next };
}

export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown } = {},
  onHeaders?: (headers: Headers) => void,
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = currentToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  onHeaders?.(response.headers);
  const text = await response.text();
  const body = text === '' ? undefined : parse(text);
  if (response.status === 401) signOut();
  if (!response.ok) {
    const message = (body as { message?: string } | undefined)?.message ?? `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message, body);
  }
  return body as T;
}

/** For swr: the key is the API path. */
export const fetcher = <T>(path: string) => api<T>(path);

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}

export interface Me {
  id: string;
  role: Role;
  name?: string;
}

export interface Connector {
  connectorId: number;
  status: string;
  errorCode: string;
  info?: string | null;
  updatedAt?: string;
}

export interface ChargePoint {
  id: string;
  connected: boolean;
  vendor?: string | null;
  model?: string | null;
  firmwareVersion?: string | null;
  serialNumber?: string | null;
  lastSeen?: string | null;
  lastBoot?: string | null;
  securityProfile?: number | null;
  schemaViolations?: number | null;
  connectors?: Connector[];
  [key: string]: unknown;
}

export interface Transaction {
  id: number | string;
  chargePointId: string;
  connectorId: number;
  idTag: string;
  meterStart: number;
  meterStop: number | null;
  startTime: string;
  stopTime: string | null;
  stopReason: string | null;
  energy: number | null;
  flags?: string[];
}

export interface MeterValue {
  sampledAt: string;
  value: string;
  measurand?: string;
  unit?: string;
  phase?: string;
  connectorId?: number;
}
