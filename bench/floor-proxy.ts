// The least a Node process can do to put TLS in front of the backend, as a floor for what ocpp-edge costs.
//
// WebSocket port: node:tls terminates the connection with the proxy's TLS settings, and the decrypted bytes are
// piped to a TCP connection to the backend and back. No HTTP parsing, no handshake checks, no forwarded headers,
// no timeouts, logs or metrics: every Node proxy built on node:tls does at least this much per charger. It uses the
// tricks ocpp-edge's forwarding uses (backend reads into one shared buffer, no Nagle), so the floor is not raised
// by a naive pipe.
//
// API port: an HTTP proxy has to parse what it forwards, so there the floor is Node's HTTPS server handing each
// request to Node's HTTP client over a keep-alive pool, the response piped back: no headers of ours, no access
// log, metrics, routes or timeouts.
//
//   node dist/bench/floor-proxy.js --cert FILE --key FILE --upstream-port PORT
//
// Prints {"msg":"floor listening","port":N,"apiPort":M} once both listen on 127.0.0.1 (ephemeral ports); SIGTERM
// stops it.

import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import https from 'node:https';
import net, { type Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import { parseArgs } from 'node:util';
import { SHARED_TLS_OPTIONS } from '../proxy/tls/tls-options.js';

const PEER = Symbol('floor-proxy.peer');
type Piped = Socket & { [PEER]?: Socket };

/** Backend reads land here and are written to the client at once (TLS copies as it encrypts). */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { cert: { type: 'string' }, key: { type: 'string' }, 'upstream-port': { type: 'string' } },
  });
  const upstreamPort = Number(values['upstream-port']);
  if (!values.cert || !values.key || !Number.isInteger(upstreamPort) || upstreamPort <= 0) {
    process.stderr.write('usage: floor-proxy.js --cert FILE --key FILE --upstream-port PORT\n');
    process.exit(2);
  }
  const tlsOptions = {
    ...SHARED_TLS_OPTIONS,
    cert: readFileSync(values.cert, 'utf8'),
    key: readFileSync(values.key, 'utf8'),
  };
  const server = tls.createServer(tlsOptions);
  server.on('secureConnection', (client: TLSSocket) => pipeToBackend(client as Piped, upstreamPort));
  server.on('tlsClientError', ignore);
  const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 1024 });
  const api = https.createServer(tlsOptions, (req, res) => forwardRequest(req, res, upstreamPort, agent));
  api.on('tlsClientError', ignore);
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 });
  api.listen({ port: 0, host: '127.0.0.1', backlog: 4096 });
  await Promise.all([once(server, 'listening'), once(api, 'listening')]);
  const port = (server.address() as net.AddressInfo).port;
  const apiPort = (api.address() as net.AddressInfo).port;
  process.stdout.write(`${JSON.stringify({ msg: 'floor listening', port, apiPort })}\n`);
  process.on('SIGTERM', () => process.exit(0));
}

/** Connection-scoped headers (RFC 9110 §7.6.1): Node's client and server write their own. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'transfer-encoding',
]);

function forwardRequest(req: IncomingMessage, res: ServerResponse, port: number, agent: http.Agent): void {
  const headers: OutgoingHttpHeaders = {};
  for (const name in req.headers) if (!HOP_BY_HOP.has(name)) headers[name] = req.headers[name];
  const upstream = http.request(
    { host: '127.0.0.1', port, method: req.method, path: req.url, headers, agent, setHost: false },
    (response) => {
      const answer: OutgoingHttpHeaders = {};
      for (const name in response.headers) if (!HOP_BY_HOP.has(name)) answer[name] = response.headers[name];
      res.writeHead(response.statusCode ?? 502, answer);
      response.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) res.statusCode = 502;
    res.end();
  });
  req.pipe(upstream);
}

function pipeToBackend(client: Piped, port: number): void {
  client.setNoDelay(true);
  const upstream: Piped = net.connect({
    host: '127.0.0.1',
    port,
    noDelay: true,
    onread: { buffer: READ_BUFFER, callback: onUpstreamRead },
  });
  client[PEER] = upstream;
  upstream[PEER] = client;
  client.on('data', onClientData);
  client.on('drain', resumePeer);
  upstream.on('drain', resumePeer);
  client.on('close', destroyPeer);
  upstream.on('close', destroyPeer);
  client.on('error', ignore);
  upstream.on('error', ignore);
}

function onClientData(this: Piped, chunk: Buffer): void {
  if (!this[PEER]!.write(chunk)) this.pause();
}

/** False pauses the backend socket until the client drains. */
function onUpstreamRead(this: Piped, length: number, buffer: Buffer): boolean {
  const client = this[PEER]!;
  const bytes = buffer.subarray(0, length);
  // A queued write keeps its buffer: copy only when the shared one would be overwritten before it is sent.
  return client.write(client.writableLength > 0 ? Buffer.from(bytes) : bytes);
}

function resumePeer(this: Piped): void {
  this[PEER]!.resume();
}

function destroyPeer(this: Piped): void {
  this[PEER]!.destroy();
}

function ignore(): void {}

await main();
