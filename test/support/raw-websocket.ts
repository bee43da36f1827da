// A WebSocket client over a socket the test opened itself, for handshakes no WebSocket library sends (ws always
// writes "Connection: Upgrade"): the exact request bytes go out, the answer's head is read, and after a 101 text
// frames are sent masked (RFC 6455 §5.3) and the server's text frames read back. Pings are answered.

import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';

export interface RawWebSocket {
  /** The status of the answer to the handshake (101 for an upgrade). */
  status: number;
  /** The answer's head, as received. */
  head: string;
  send(text: string): void;
  /** The next text frame from the server. */
  nextText(timeoutMs?: number): Promise<string>;
  close(): void;
}

/** Opens a TLS connection (the proxy's listener), sends `request` and reads the answer. */
export function rawWebSocketOverTls(port: number, request: string): Promise<RawWebSocket> {
  const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false });
  return handshake(socket, 'secureConnect', request);
}

/** Opens a TCP connection (the backend reached directly), sends `request` and reads the answer. */
export function rawWebSocketOverTcp(port: number, request: string): Promise<RawWebSocket> {
  return handshake(net.connect(port, '127.0.0.1'), 'connect', request);
}

/** A JSON OCPP-J call as a text frame, and its answer: the first text frame with the same message id. */
export async function call(ws: RawWebSocket, frame: [2, string, string, unknown]): Promise<unknown[]> {
  ws.send(JSON.stringify(frame));
  for (;;) {
    const answer = JSON.parse(await ws.nextText()) as unknown[];
    if (answer[1] === frame[1]) return answer;
  }
}

function handshake(socket: Duplex, connected: string, request: string): Promise<RawWebSocket> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    let opened: (RawWebSocket & { feed(bytes: Buffer): void }) | undefined;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer to the handshake in time'));
    }, 10_000);
    socket.once(connected, () => socket.write(request, 'latin1'));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('data', (chunk: Buffer) => {
      if (opened) {
        opened.feed(chunk);
        return;
      }
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end === -1) return;
      clearTimeout(timer);
      const head = received.toString('latin1', 0, end + 4);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      opened = session(socket, status, head);
      if (status !== 101) socket.end();
      resolve(opened);
      const rest = received.subarray(end + 4);
      if (rest.length > 0) opened.feed(rest);
    });
  });
}

function session(socket: Duplex, status: number, head: string): RawWebSocket & { feed(bytes: Buffer): void } {
  let buffered = Buffer.alloc(0);
  const texts: string[] = [];
  const waiting: Array<(text: string) => void> = [];
  const deliver = (text: string) => {
    const next = waiting.shift();
    if (next) next(text);
    else texts.push(text);
  };
  return {
    status,
    head,
    send: (text) => socket.write(clientFrame(0x1, Buffer.from(text, 'utf8'))),
    nextText: (timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const text = texts.shift();
        if (text !== undefined) {
          resolve(text);
          return;
        }
        const timer = setTimeout(() => reject(new Error('no text frame in time')), timeoutMs);
        waiting.push((next) => {
          clearTimeout(timer);
          resolve(next);
        });
      }),
    close: () => socket.destroy(),
    feed(bytes) {
      buffered = Buffer.concat([buffered, bytes]);
      for (;;) {
        const frame = serverFrame(buffered);
        if (!frame) return;
        buffered = buffered.subarray(frame.size);
        if (frame.opcode === 0x1) deliver(frame.payload.toString('utf8'));
        else if (frame.opcode === 0x9) socket.write(clientFrame(0xa, frame.payload));
      }
    },
  };
}

/** A final, masked client frame (RFC 6455 §5.2, §5.3). */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const header =
    length < 126
      ? Buffer.from([0x80 | opcode, 0x80 | length])
      : length < 65536
        ? Buffer.from([0x80 | opcode, 0x80 | 126, length >> 8, length & 0xff])
        : Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 127]), bigEndian64(length)]);
  const mask = randomBytes(4);
  const masked = Buffer.alloc(length);
  for (let i = 0; i < length; i++) masked[i] = payload[i]! ^ mask[i % 4]!;
  return Buffer.concat([header, mask, masked]);
}

function bigEndian64(value: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(BigInt(value));
  return bytes;
}

/** One unmasked server frame at the start of `bytes`, or undefined while it is incomplete. */
function serverFrame(bytes: Buffer): { opcode: number; payload: Buffer; size: number } | undefined {
  if (bytes.length < 2) return undefined;
  const opcode = bytes[0]! & 0x0f;
  let length = bytes[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (bytes.length < 4) return undefined;
    length = bytes.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (bytes.length < 10) return undefined;
    length = Number(bytes.readBigUInt64BE(2));
    offset = 10;
  }
  if (bytes.length < offset + length) return undefined;
  return { opcode, payload: bytes.subarray(offset, offset + length), size: offset + length };
}
