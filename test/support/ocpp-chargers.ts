// Chargers for tests: ocpp-rpc's RPCClient (a well-behaved OCPP 1.6 charger in strict mode) and a raw `ws`
// client that sends exactly the frames a test writes, like the plan's test_wss.py or a misbehaving charger.

import { once } from 'node:events';
import { RPCClient } from 'ocpp-rpc';
import WebSocket from 'ws';

export interface ChargerOptions {
  password?: string;
  protocols?: string[];
  callTimeoutMs?: number;
}

/** A connected strict-mode OCPP 1.6 charger. Register handlers with charger.handle(action, fn). */
export async function connectCharger(
  ocppUrl: string,
  identity: string,
  options: ChargerOptions = {},
): Promise<RPCClient> {
  const charger = new RPCClient({
    endpoint: ocppUrl,
    identity,
    protocols: options.protocols ?? ['ocpp1.6'],
    strictMode: true,
    reconnect: false,
    password: options.password ?? null,
    callTimeoutMs: options.callTimeoutMs ?? 5000,
    // ocpp-rpc's typings list every option as required; the rest keep their defaults.
  } as ConstructorParameters<typeof RPCClient>[0]);
  await charger.connect();
  return charger;
}

/** The HTTP status of a refused upgrade, or 101 when the charger got in (then closed). */
export async function upgradeStatus(
  ocppUrl: string,
  identity: string,
  options: { password?: string; protocols?: string[] } = {},
): Promise<number> {
  const headers: Record<string, string> = {};
  if (options.password !== undefined)
    headers.authorization = `Basic ${Buffer.from(`${identity}:${options.password}`).toString('base64')}`;
  const ws = new WebSocket(`${ocppUrl}/${encodeURIComponent(identity)}`, options.protocols ?? ['ocpp1.6'], { headers });
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => {
      resolve(101);
      ws.close();
    });
    ws.once('error', (error) => reject(error));
  });
}

type Frame = unknown[];

/** A raw WebSocket charger: frames in, frames out, nothing checked on our side. */
export class RawCharger {
  private readonly frames: Frame[] = [];
  private readonly waiters: Array<() => void> = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(String(data)) as Frame);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
  }

  /** protocols: [] offers no subprotocol, like test_wss.py. */
  static async connect(ocppUrl: string, identity: string, protocols: string[] = []): Promise<RawCharger> {
    const ws = new WebSocket(`${ocppUrl}/${encodeURIComponent(identity)}`, protocols);
    const charger = new RawCharger(ws);
    await once(ws, 'open');
    return charger;
  }

  send(text: string): void {
    this.ws.send(text);
  }

  /** Sends a CALL and resolves with the answer frame carrying its message id. */
  async call(messageId: string, action: string, payload: unknown, timeoutMs = 5000): Promise<Frame> {
    this.send(JSON.stringify([2, messageId, action, payload]));
    return this.answerTo(messageId, timeoutMs);
  }

  async answerTo(messageId: string, timeoutMs = 5000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.frames.findIndex((frame) => frame[1] === messageId && (frame[0] === 3 || frame[0] === 4));
      if (index >= 0) return this.frames.splice(index, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no answer to message ${messageId} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Every frame received so far that answers a call (and forgets them). */
  takeAnswers(): Frame[] {
    const answers = this.frames.filter((frame) => frame[0] === 3 || frame[0] === 4);
    this.frames.length = 0;
    return answers;
  }

  close(): void {
    this.ws.close();
  }
}
