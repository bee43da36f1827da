// The backend every target forwards to: a plain `ws` server answering like a central system (BootNotification
// Accepted, Heartbeat with the current time, an empty result for any other call) and a small JSON answer for
// GET /api/*. It runs in its own process so that what the bench measures in a proxy process is the proxy.
//
// With --cert/--key it also listens with TLS on a second port, as the "direct" target: chargers talk WSS to a
// Node process that terminates TLS itself, with the proxy's TLS settings, and no proxy in between.
//
//   node dist/bench/backend-echo.js [--cert FILE --key FILE]
//   → prints {"ready":true,"port":P,"tlsPort":Q} on stdout

import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { SHARED_TLS_OPTIONS } from '../proxy/tls/tls-options.js';
import { startProcess, type StartedProcess } from './child-process.js';

export const BACKEND_ECHO_SCRIPT = fileURLToPath(import.meta.url);

/** What the API route answers: small, like a status endpoint. */
const API_BODY = JSON.stringify({ status: 'ok', service: 'bench' });
const HEARTBEAT_INTERVAL_SEC = 300;

export interface EchoBackend {
  process: StartedProcess;
  /** Plain HTTP/WS port the proxies forward to. */
  port: number;
  /** TLS port of the direct target, when certificates were given. */
  tlsPort: number | undefined;
}

/** Starts the echo backend as a child process. */
export async function startEchoBackend(
  tls?: { certFile: string; keyFile: string },
  /** Also listen on this Unix socket (plain HTTP/WS, as on the port). */
  socketPath?: string,
): Promise<EchoBackend> {
  const args = [
    BACKEND_ECHO_SCRIPT,
    ...(tls ? ['--cert', tls.certFile, '--key', tls.keyFile] : []),
    ...(socketPath ? ['--socket', socketPath] : []),
  ];
  const started = await startProcess(process.execPath, args, { isReady: (line) => line.ready === true });
  return {
    process: started,
    port: Number(started.ready.port),
    tlsPort: started.ready.tlsPort === undefined ? undefined : Number(started.ready.tlsPort),
  };
}

/** One OCPP-J answer to one frame; undefined for anything that is not a call. */
export function answerFrame(text: string): string | undefined {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(frame) || frame[0] !== 2 || typeof frame[1] !== 'string') return undefined;
  const currentTime = new Date().toISOString();
  const action = frame[2];
  const payload =
    action === 'BootNotification'
      ? { status: 'Accepted', currentTime, interval: HEARTBEAT_INTERVAL_SEC }
      : action === 'Heartbeat'
        ? { currentTime }
        : {};
  return JSON.stringify([3, frame[1], payload]);
}

function onRequest(req: IncomingMessage, res: ServerResponse): void {
  if (req.url?.startsWith('/api/') || req.url === '/health') {
    res
      .writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(API_BODY) })
      .end(API_BODY);
  } else {
    res.writeHead(404, { 'content-length': 0 }).end();
  }
}

function onConnection(ws: WebSocket): void {
  ws.on('message', onMessage);
  ws.on('error', ignore);
}

function onMessage(this: WebSocket, data: RawData): void {
  const answer = answerFrame(data.toString());
  if (answer) this.send(answer);
}

function ignore(): void {}

function serveWebSockets(server: http.Server | https.Server): void {
  // Chargers offer ocpp1.6; a client offering nothing is served too. No compression, as with real chargers.
  const wss = new WebSocketServer({
    server,
    perMessageDeflate: false,
    clientTracking: false,
    handleProtocols: (protocols) => (protocols.has('ocpp1.6') ? 'ocpp1.6' : false),
  });
  wss.on('connection', onConnection);
  wss.on('error', ignore);
}

async function listen(server: http.Server | https.Server): Promise<number> {
  // A boot storm sends thousands of SYNs at once: the kernel's limit (somaxconn) caps this anyway.
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  return (server.address() as AddressInfo).port;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { cert: { type: 'string' }, key: { type: 'string' }, socket: { type: 'string' } },
  });
  const plain = http.createServer(onRequest);
  serveWebSockets(plain);
  const port = await listen(plain);
  if (values.socket) {
    const local = http.createServer(onRequest);
    serveWebSockets(local);
    const path = values.socket;
    await new Promise<void>((resolve) => local.listen({ path, backlog: 4096 }, resolve));
  }
  let tlsPort: number | undefined;
  if (values.cert && values.key) {
    const secure = https.createServer(
      { ...SHARED_TLS_OPTIONS, cert: readFileSync(values.cert), key: readFileSync(values.key) },
      onRequest,
    );
    serveWebSockets(secure);
    tlsPort = await listen(secure);
  }
  process.on('SIGTERM', () => process.exit(0));
  process.stdout.write(`${JSON.stringify({ ready: true, port, tlsPort })}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
