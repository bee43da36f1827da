// A Server-Sent Events client for tests: a plain HTTP GET whose text/event-stream is parsed into messages as
// they arrive (the format of the WHATWG HTML spec: id, event, data, comments).

import http from 'node:http';
import https from 'node:https';
import { waitFor } from './waiting.js';

export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

export interface SseClient {
  status: number;
  headers: http.IncomingHttpHeaders;
  messages: SseMessage[];
  comments: string[];
  /** Parsed data (JSON) of the messages received so far. */
  // biome-ignore lint/suspicious/noExplicitAny: each event type's own JSON; the tests read the fields they assert
  events(): Array<{ id: number; type: string; occurredAt: string; data: any }>;
  /** Waits until `count` messages have arrived. */
  waitForEvents(count: number, timeoutMs?: number): Promise<void>;
  close(): void;
  closed: Promise<void>;
}

export async function openEventStream(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    // https: the test's self-signed edge; the certificate is not what these tests are about.
    const get = url.startsWith('https:') ? https.get : http.get;
    const request = get(
      url,
      { headers: { accept: 'text/event-stream', ...headers }, rejectUnauthorized: false },
      (response) => {
        const messages: SseMessage[] = [];
        const comments: string[] = [];
        let buffer = '';
        let current: Partial<SseMessage> & { data?: string } = {};
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          buffer += chunk;
          let newline = buffer.indexOf('\n');
          while (newline >= 0) {
            const line = buffer.slice(0, newline).replace(/\r$/, '');
            buffer = buffer.slice(newline + 1);
            if (line === '') {
              if (current.data !== undefined)
                messages.push({ id: current.id, event: current.event, data: current.data });
              current = {};
            } else if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else {
              const colon = line.indexOf(':');
              const field = colon < 0 ? line : line.slice(0, colon);
              const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
              if (field === 'data') current.data = current.data === undefined ? value : `${current.data}\n${value}`;
              else if (field === 'id') current.id = value;
              else if (field === 'event') current.event = value;
            }
            newline = buffer.indexOf('\n');
          }
        });
        const closed = new Promise<void>((done) => response.once('close', () => done()));
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          messages,
          comments,
          events: () => messages.map((message) => JSON.parse(message.data)),
          async waitForEvents(count, timeoutMs = 5000) {
            await waitFor(`${count} SSE messages (have ${messages.length})`, () => messages.length >= count, {
              timeoutMs,
            });
          },
          close: () => request.destroy(),
          closed,
        });
      },
    );
    request.once('error', reject);
  });
}
