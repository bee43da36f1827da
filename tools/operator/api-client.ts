// A small client of the backend's REST API for the operator commands: bearer token, JSON in and out, pages
// followed through `Link: <…>; rel="next"`, and every failure turned into one sentence an operator can act on.

import type { ApiConnection } from './connection.js';

/** A failure of an API call, with the sentence to print. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  /** JSON-encoded unless a string (sent as is with `contentType`). */
  body?: unknown;
  contentType?: string;
  accept?: string;
}

export class ApiClient {
  constructor(readonly connection: ApiConnection) {}

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const url = this.url(path, options.query);
    const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
    if (this.connection.token !== undefined) headers.authorization = `Bearer ${this.connection.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(this.connection.timeoutMs),
      });
    } catch (error) {
      throw new ApiError(unreachable(this.connection.url, error));
    }
    if (!response.ok) throw await this.refusal(response, method, path);
    return response;
  }

  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.request(method, path, options);
    const text = await response.text();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /** Every item of a paged list, page after page, until the API names no next page or `max` items came. */
  async *pages<T>(path: string, query: RequestOptions['query'] = {}, max = Infinity): AsyncGenerator<T> {
    let next: string | undefined = this.url(path, query);
    let count = 0;
    while (next !== undefined) {
      const response = await this.request('GET', next);
      const items = (await response.json()) as T[];
      for (const item of items) {
        if (count >= max) return;
        count++;
        yield item;
      }
      next = nextLink(response.headers.get('link'), this.connection.url);
    }
  }

  private url(path: string, query: RequestOptions['query'] = {}): string {
    const url = new URL(path.startsWith('http') ? path : `${this.connection.url}${path}`);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
    return url.href;
  }

  private async refusal(response: Response, method: string, path: string): Promise<ApiError> {
    let message = '';
    try {
      const body = (await response.json()) as { message?: unknown };
      if (typeof body.message === 'string') message = body.message;
    } catch {
      // not JSON: the status says enough
    }
    const what = `${method} ${new URL(path, this.connection.url).pathname}`;
    switch (response.status) {
      case 401:
        return new ApiError(
          this.connection.token === undefined
            ? `the API at ${this.connection.url} needs a token: set --token, OCPP_EDGE_CLI_TOKEN, or pass the --config whose backend: section has an api-token`
            : `token refused by ${this.connection.url} (token from ${this.connection.tokenSource}): set --token or OCPP_EDGE_CLI_TOKEN to one of the backend's api-tokens`,
          401,
        );
      case 403:
        return new ApiError(`not allowed: ${message || 'the token lacks the role'} (${what})`, 403);
      default:
        return new ApiError(
          `${message || response.statusText || 'failed'} (${what}: ${response.status})`,
          response.status,
        );
    }
  }
}

/** The rel="next" target of a Link header, absolute. */
function nextLink(header: string | null, base: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const match = /<([^>]*)>\s*;\s*rel="?next"?/.exec(part);
    if (match) return new URL(match[1]!, base).href;
  }
  return undefined;
}

function unreachable(url: string, error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  if ((error as Error).name === 'TimeoutError') return `no answer from the API at ${url} in time (--timeout)`;
  const code = cause?.code ?? (error as Error).message;
  return `cannot reach the API at ${url} (${code}): is the backend running? Set --api-url or OCPP_EDGE_CLI_API_URL, or pass its --config`;
}
