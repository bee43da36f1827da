// A load generator process: holds a share of the bench's WebSocket connections and drives them on command from
// the bench (load-protocol.ts). The bench runs one per core so that no single client process's CPU caps what a
// target can show. Frames are written and recognised without JSON parsing on the hot path: each connection has one
// call in flight at most (as OCPP 1.6 requires), so any CALLRESULT that arrives answers that call.

import { performance } from 'node:perf_hooks';
import { createSecureContext, type SecureContext } from 'node:tls';
import WebSocket from 'ws';
import { errorKind } from '../tools/simulate/error-kind.js';
import { answerToCall } from './charger-answers.js';
import type { LoadCommand, LoadReply, MessagesResult, MixSpec, OpenResult, OpenSpec } from './load-protocol.js';

/** The BootNotification of each OCPP version (a 2.0.1 charging station states its reason). */
const BOOT_FRAMES: Readonly<Record<'1.6' | '2.0.1', string>> = {
  '1.6': JSON.stringify([2, 'boot', 'BootNotification', { chargePointVendor: 'ocpp-edge', chargePointModel: 'bench' }]),
  '2.0.1': JSON.stringify([
    2,
    'boot',
    'BootNotification',
    { reason: 'PowerUp', chargingStation: { vendorName: 'ocpp-edge', model: 'bench' } },
  ]),
};
/** A call still unanswered this long after a phase ends counts as a failure. */
const ANSWER_GRACE_MS = 5000;
const OPEN_CHAR = 0x5b; // '['
const CALL_CHAR = 0x32; // '2'
const CALLRESULT_CHAR = 0x33; // '3'

/** One held connection and its call in flight. */
interface Charger {
  ws: WebSocket;
  sentAt: number;
  waiting: boolean;
  counter: number;
  /** The mix: calls due while one is in flight (OCPP 1.6 allows one at a time), each with the time it fell due. */
  queue?: Array<{ frame: string; dueAt: number }>;
  /** The mix: when the call in flight fell due (its round trip counts from then, queueing included). */
  dueAt?: number;
  /** The mix: its transaction, once StartTransaction was answered (0 while waiting for that answer). */
  transactionId?: number;
  statusToggle?: boolean;
}

const chargers: Charger[] = [];
let onAnswer: ((charger: Charger, ok: boolean, data: Buffer) => void) | undefined;

function now(): number {
  return performance.timeOrigin + performance.now();
}

function send(reply: LoadReply): void {
  process.send!(reply);
}

function count(failures: Record<string, number>, kind: string): void {
  failures[kind] = (failures[kind] ?? 0) + 1;
}

async function open(spec: OpenSpec): Promise<OpenResult> {
  const secureContext: SecureContext | undefined = spec.caPem ? createSecureContext({ ca: spec.caPem }) : undefined;
  const result: OpenResult = { opened: 0, failures: {}, readyAtMs: [], openedByVersion: {} };
  const wait = spec.startAt - now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  let next = 0;
  const addresses = spec.localAddresses ?? [];
  const openOne = (id: string, version: '1.6' | '2.0.1', index: number) =>
    new Promise<void>((resolve) => {
      // ws hands its options on to tls.connect, which takes the shared secureContext (its typings do not say so).
      const options = {
        perMessageDeflate: false,
        handshakeTimeout: spec.timeoutMs,
        secureContext,
        localAddress: addresses.length > 0 ? addresses[index % addresses.length] : undefined,
      } as WebSocket.ClientOptions;
      const ws = new WebSocket(`${spec.url}/${id}`, `ocpp${version}`, options);
      // The full backend calls a charger after its boot (configuration, local list): answer as a charger would.
      ws.on('message', version === '1.6' ? answerCentralSystem16 : answerCentralSystem201);
      let settled = false;
      const settle = (failure?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (failure) {
          count(result.failures, failure);
          ws.terminate();
        } else {
          result.opened++;
          count(result.openedByVersion, version);
          result.readyAtMs.push(now() - spec.startAt);
          chargers.push({ ws, sentAt: 0, waiting: false, counter: 0 });
          ws.on('message', onMessage);
        }
        resolve();
      };
      const timer = setTimeout(() => settle(spec.boot ? 'boot: no answer' : 'connect: timeout'), spec.timeoutMs);
      ws.on('error', (error) => settle(`connect: ${errorKind(error)}`));
      ws.on('unexpected-response', (_req, res) => settle(`connect: HTTP ${res.statusCode}`));
      ws.on('close', () => settle('connect: closed'));
      ws.once('open', () => {
        if (!spec.boot) return settle();
        ws.send(BOOT_FRAMES[version]);
        ws.on('message', (data: Buffer) => {
          const text = data.toString();
          if (!text.startsWith('[3,"boot"')) return; // a call from the central system: not our answer
          settle(text.includes('"Accepted"') ? undefined : 'boot: not accepted');
        });
      });
    });
  // `concurrency` attempts in flight; each one that settles starts the next.
  const lanes = Array.from({ length: Math.min(spec.concurrency, spec.ids.length) }, async () => {
    while (next < spec.ids.length) {
      const index = next++;
      await openOne(spec.ids[index]!, spec.versions?.[index] ?? '1.6', index);
    }
  });
  await Promise.all(lanes);
  return result;
}

/** Answers a CALL from the central system; leaves every other frame to the handlers of the charger's own calls. */
function answerCentralSystem16(this: WebSocket, data: Buffer): void {
  if (data[0] !== OPEN_CHAR || data[1] !== CALL_CHAR) return;
  const answer = answerToCall(data.toString(), '1.6');
  if (answer) this.send(answer);
}

function answerCentralSystem201(this: WebSocket, data: Buffer): void {
  if (data[0] !== OPEN_CHAR || data[1] !== CALL_CHAR) return;
  const answer = answerToCall(data.toString(), '2.0.1');
  if (answer) this.send(answer);
}

function onMessage(this: WebSocket, data: Buffer): void {
  const charger = (this as WebSocket & { charger?: Charger }).charger;
  // A call from the central system is not the answer to ours (answerCentralSystem answers it).
  if (!charger?.waiting || data[0] !== OPEN_CHAR || data[1] === CALL_CHAR) return;
  charger.waiting = false;
  onAnswer?.(charger, data[1] === CALLRESULT_CHAR, data);
}

function call(charger: Charger): void {
  charger.counter++;
  charger.waiting = true;
  charger.sentAt = performance.now();
  charger.ws.send(`[2,"${charger.counter}","Heartbeat",{}]`);
}

function attach(): void {
  for (const charger of chargers) (charger.ws as WebSocket & { charger?: Charger }).charger = charger;
}

/** Each connection sends a Heartbeat every `intervalMs`, phases spread evenly; RTT of every answer. */
async function heartbeats(intervalMs: number, durationMs: number): Promise<MessagesResult> {
  attach();
  const result: MessagesResult = { sent: 0, answered: 0, failures: {}, rttMs: [] };
  onAnswer = (charger, ok) => {
    if (ok) {
      result.answered++;
      result.rttMs.push(performance.now() - charger.sentAt);
    } else count(result.failures, 'CALLERROR');
  };
  const timers: NodeJS.Timeout[] = [];
  const tick = (charger: Charger) => {
    if (charger.ws.readyState !== WebSocket.OPEN) return count(result.failures, 'closed');
    if (charger.waiting) count(result.failures, 'unanswered');
    call(charger);
    result.sent++;
  };
  chargers.forEach((charger, index) => {
    const phase = (index * intervalMs) / chargers.length;
    timers.push(
      setTimeout(() => {
        tick(charger);
        timers.push(setInterval(() => tick(charger), intervalMs));
      }, phase),
    );
  });
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  for (const timer of timers) clearTimeout(timer);
  await settleCalls(result);
  return result;
}

/** Every connection keeps one call in flight: the next goes out as soon as the answer arrives. */
async function closedLoop(durationMs: number): Promise<MessagesResult> {
  attach();
  const result: MessagesResult = { sent: 0, answered: 0, failures: {}, rttMs: [] };
  let running = true;
  onAnswer = (charger, ok) => {
    if (ok) result.answered++;
    else count(result.failures, 'CALLERROR');
    if (running && charger.ws.readyState === WebSocket.OPEN) {
      call(charger);
      result.sent++;
    }
  };
  for (const charger of chargers) {
    call(charger);
    result.sent++;
  }
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  running = false;
  await settleCalls(result);
  return result;
}

/**
 * The capacity run's fleet mix on every held connection: Heartbeats, StatusNotifications, and for every
 * `transactionEvery`-th charger a transaction (StartTransaction at its first mix, then MeterValues), phases spread
 * evenly. One call in flight per charger; a call that falls due meanwhile waits, and its round trip counts from
 * when it fell due, so a backlog shows as latency rather than hiding.
 */
async function mix(spec: MixSpec): Promise<MessagesResult> {
  attach();
  const result: MessagesResult = { sent: 0, answered: 0, failures: {}, rttMs: [] };
  const sendNext = (charger: Charger) => {
    const next = charger.queue?.shift();
    if (!next || charger.ws.readyState !== WebSocket.OPEN) return;
    charger.waiting = true;
    charger.dueAt = next.dueAt;
    charger.ws.send(next.frame);
    result.sent++;
  };
  onAnswer = (charger, ok, data) => {
    if (ok) {
      result.answered++;
      result.rttMs.push(performance.now() - charger.dueAt!);
      if (charger.transactionId === 0 && data.includes('"transactionId"')) {
        const [, , payload] = JSON.parse(data.toString()) as [number, string, { transactionId?: number }];
        charger.transactionId = payload.transactionId ?? 0;
      }
    } else count(result.failures, 'CALLERROR');
    sendNext(charger);
  };
  const enqueue = (charger: Charger, action: string, payload: object) => {
    if (charger.ws.readyState !== WebSocket.OPEN) return count(result.failures, 'closed');
    charger.counter++;
    charger.queue ??= [];
    charger.queue.push({
      frame: JSON.stringify([2, String(charger.counter), action, payload]),
      dueAt: performance.now(),
    });
    if (!charger.waiting) sendNext(charger);
  };
  const timers: NodeJS.Timeout[] = [];
  const every = (charger: Charger, intervalMs: number, index: number, tick: () => void) => {
    const phase = (index * intervalMs) / chargers.length;
    timers.push(
      setTimeout(() => {
        tick();
        timers.push(setInterval(tick, intervalMs));
      }, phase),
    );
  };
  chargers.forEach((charger, index) => {
    every(charger, spec.heartbeatMs, index, () => enqueue(charger, 'Heartbeat', {}));
    every(charger, spec.statusMs, index, () => {
      charger.statusToggle = !charger.statusToggle;
      enqueue(charger, 'StatusNotification', {
        connectorId: 2,
        errorCode: 'NoError',
        status: charger.statusToggle ? 'Unavailable' : 'Available',
      });
    });
    if (index % spec.transactionEvery !== 0) return;
    let meter = 0;
    // Its transaction starts at its own phase of the first interval, as a fleet's sessions do: not every
    // StartTransaction of the fleet in the same millisecond, a burst no real fleet sends.
    every(charger, spec.meterValuesMs, index, () => {
      if (charger.transactionId === undefined) {
        charger.transactionId = 0;
        enqueue(charger, 'StartTransaction', {
          connectorId: 1,
          idTag: 'BENCH',
          meterStart: 0,
          timestamp: new Date().toISOString(),
        });
        return;
      }
      if (!charger.transactionId) return;
      meter += 250;
      enqueue(charger, 'MeterValues', {
        connectorId: 1,
        transactionId: charger.transactionId,
        meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: String(meter) }] }],
      });
    });
  });
  await new Promise((resolve) => setTimeout(resolve, spec.durationMs));
  for (const timer of timers) clearTimeout(timer);
  // Calls that fell due behind one in flight are sent and answered too (a charger would send them): only what
  // is still unanswered after the grace period is a failure.
  await settleCalls(result);
  return result;
}

/** Waits (bounded) for the calls in flight and queued; what stays unanswered or unsent is a failure. */
async function settleCalls(result: MessagesResult): Promise<void> {
  const deadline = Date.now() + ANSWER_GRACE_MS;
  const busy = (charger: Charger) => charger.waiting || (charger.queue?.length ?? 0) > 0;
  while (chargers.some(busy) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  for (const charger of chargers) {
    for (const _ of charger.queue ?? []) count(result.failures, 'still queued');
    charger.queue = [];
    if (!charger.waiting) continue;
    charger.waiting = false;
    count(result.failures, 'unanswered');
  }
  onAnswer = undefined;
}

/** Closes every held connection (close frame 1000), destroying those that do not finish in time. */
async function closeAll(timeoutMs: number): Promise<number> {
  const sockets = chargers.splice(0).map((charger) => charger.ws);
  const stillOpen = sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
  const closing = sockets.map(
    (ws) =>
      new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close(1000);
      }),
  );
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(closing), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
  for (const ws of sockets) if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
  return stillOpen;
}

async function handle(command: LoadCommand): Promise<LoadReply> {
  switch (command.type) {
    case 'open':
      return { type: 'opened', id: command.id, result: await open(command.spec) };
    case 'heartbeats':
      return { type: 'messages', id: command.id, result: await heartbeats(command.intervalMs, command.durationMs) };
    case 'closed-loop':
      return { type: 'messages', id: command.id, result: await closedLoop(command.durationMs) };
    case 'mix':
      return { type: 'messages', id: command.id, result: await mix(command.spec) };
    case 'close':
      return { type: 'closed', id: command.id, stillOpen: await closeAll(command.timeoutMs) };
  }
}

process.on('message', (command: LoadCommand) => {
  handle(command).then(send, (error: unknown) =>
    send({ type: 'failed', id: command.id, message: String((error as Error)?.stack ?? error) }),
  );
});
// The parent going away ends the worker: it must never outlive the bench.
process.on('disconnect', () => process.exit(0));
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
