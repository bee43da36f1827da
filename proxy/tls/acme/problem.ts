// acme-client reports failures as plain Errors whose message is at best the problem's detail; on a network error
// it even throws a TypeError from its retry interceptor. Operators need the server's problem document (RFC 8555
// §6.7: type, detail, status) and its Retry-After, so we watch the HTTP exchanges of an order ourselves: a wrapper
// around the axios adapter acme-client uses records every problem document and transport error in the
// AsyncLocalStorage context of the order that caused it.

import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import acme from 'acme-client';
import { parseRetryAfter } from './backoff.js';

export interface AcmeProblem {
  /** urn:ietf:params:acme:error:..., or 'transport' for a connection failure. */
  type: string;
  detail: string;
  status?: number;
  url?: string;
  /** From the response's Retry-After header. */
  retryAfterMs?: number;
  subproblems?: unknown[];
}

/** An ACME operation failed; `problem` is the server's own explanation when there was one. */
export class AcmeOperationError extends Error {
  /** What was being done ("creating order", "validating charger.example"), when known. */
  readonly step: string | undefined;
  constructor(
    message: string,
    readonly problem: AcmeProblem | undefined,
    options?: { cause?: unknown; step?: string },
  ) {
    super(message, options);
    this.step = options?.step;
    this.name = 'AcmeOperationError';
  }
}

const exchanges = new AsyncLocalStorage<AcmeProblem[]>();

/** Runs fn with problem recording; a failure comes back as AcmeOperationError carrying the last problem. */
export async function withProblemCapture<T>(step: () => string, fn: () => Promise<T>): Promise<T> {
  installAdapterWrapper();
  const problems: AcmeProblem[] = [];
  try {
    return await exchanges.run(problems, fn);
  } catch (error) {
    if (error instanceof AcmeOperationError) throw error;
    const problem = problems.at(-1);
    const message = problem ? `${step()}: ${problem.detail}` : `${step()}: ${(error as Error).message}`;
    throw new AcmeOperationError(message, problem, { cause: error, step: step() });
  }
}

/** The problem an error carries, for logs: never undefined fields, so log lines stay uniform. */
export function problemOf(error: unknown): AcmeProblem {
  if (error instanceof AcmeOperationError && error.problem) return error.problem;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return { type: code ? `local:${code}` : 'local', detail: (error as Error | undefined)?.message ?? String(error) };
}

let installed = false;

function installAdapterWrapper(): void {
  if (installed) return;
  installed = true;
  // acme-client adds `acmeSettings` to its axios defaults; the adapter may be a function (axios docs: custom adapters).
  const client = acme.axios as unknown as { defaults: { acmeSettings: Record<string, unknown>; adapter: unknown } };
  // Our scheduler retries whole orders with back-off and Retry-After; acme-client's own per-request retries
  // (up to 5, sleeping as long as Retry-After says, inside the order) would hide failures and stall for hours.
  client.defaults.acmeSettings = { ...client.defaults.acmeSettings, retryMaxAttempts: 0 };
  // The axios that acme-client itself loads, wherever the package manager put it.
  const axios = createRequire(acmeClientEntry())('axios') as {
    getAdapter(name: string): (config: unknown) => Promise<AxiosLikeResponse>;
  };
  const http = axios.getAdapter('http');
  client.defaults.adapter = async (config: unknown) => {
    try {
      const response = await http(config);
      record(response);
      return response;
    } catch (error) {
      const response = (error as { response?: AxiosLikeResponse }).response;
      if (response) record(response);
      else {
        const url = (config as { url?: string }).url;
        const code = (error as NodeJS.ErrnoException).code ?? 'ERROR';
        exchanges.getStore()?.push({ type: 'transport', detail: `${code}: ${(error as Error).message}`, url });
      }
      throw error;
    }
  };
}

interface AxiosLikeResponse {
  status: number;
  headers: Record<string, unknown>;
  data: unknown;
  config?: { url?: string };
}

function record(response: AxiosLikeResponse): void {
  const problems = exchanges.getStore();
  if (!problems) return;
  const data = parseBody(response.data);
  const retryAfterMs = parseRetryAfter(headerValue(response.headers['retry-after']));
  const url = response.config?.url;
  if (response.status >= 400) {
    const type = typeof data?.type === 'string' ? data.type : `http:${response.status}`;
    const detail = typeof data?.detail === 'string' ? data.detail : `HTTP ${response.status}`;
    problems.push({
      type,
      detail,
      status: response.status,
      url,
      retryAfterMs,
      subproblems: data?.subproblems as unknown[] | undefined,
    });
  } else if (data && data.status === 'invalid' && typeof data.error === 'object' && data.error !== null) {
    // A failed challenge or authorization arrives as 200 with the problem inside.
    const error = data.error as Record<string, unknown>;
    problems.push({
      type: String(error.type ?? 'unknown'),
      detail: String(error.detail ?? 'invalid'),
      status: Number(error.status ?? response.status),
      url,
      retryAfterMs,
    });
  }
}

/** Adapters hand over the raw body (JSON parsing happens later, in axios's transformResponse). */
function parseBody(data: unknown): Record<string, unknown> | undefined {
  let value = data;
  if (Buffer.isBuffer(value)) value = value.toString('utf8');
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function headerValue(value: unknown): string | undefined {
  if (Array.isArray(value)) return String(value[0]);
  return value === undefined || value === null ? undefined : String(value);
}

function acmeClientEntry(): string {
  return createRequire(import.meta.url).resolve('acme-client');
}
