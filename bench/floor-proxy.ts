// The least a Node process can do to put TLS in front of the backend: node:tls terminates the connection with
// the proxy's TLS settings, and the decrypted bytes are piped to a TCP connection to the backend and back. No
// HTTP parsing, no handshake checks, no forwarded headers, no timeouts, logs or metrics: every Node proxy built
// on node:tls does at least this much, so what this process costs per handshake and per message is the floor for
// ocpp-edge, and its ratio to nginx says how much of ocpp-edge's gap to nginx is Node's own.
//
// It uses the tricks ocpp-edge's forwarding uses (no HTTP objects, backend reads into one shared buffer, no
// Nagle), so the floor is not raised by a naive pipe.
//
//   node dist/bench/floor-proxy.js --cert FILE --key FILE --upstream-port PORT
//
// Prints {"msg":"floor listening","port":N} once it listens on 127.0.0.1 (an ephemeral port); SIGTERM stops it.

import { readFileSync } from 'node:fs';
import net, { type Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import { parseArgs } from 'node:util';
import { SHARED_TLS_OPTIONS } from '../proxy/tls/tls-options.js';

const PEER = Symbol('floor-proxy.peer');
type Piped = Socket & { [PEER]?: Socket };

/** Backend reads land here and are written to the client at once (TLS copies as it encrypts). */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

function main(): void {
  const { values } = parseArgs({ options: { cert: { type: 'string' }, key: { type: 'string' }, 'upstream-port': { type: 'string' } } });
  const upstreamPort = Number(values['upstream-port']);
  if (!values.cert || !values.key || !Number.isInteger(upstreamPort) || upstreamPort <= 0) {
    process.stderr.write('usage: floor-proxy.js --cert FILE --key FILE --upstream-port PORT\n');
    process.exit(2);
  }
  const server = tls.createServer({
    ...SHARED_TLS_OPTIONS,
    cert: readFileSync(values.cert, 'utf8'),
    key: readFileSync(values.key, 'utf8'),
  });
  server.on('secureConnection', (client: TLSSocket) => pipeToBackend(client as Piped, upstreamPort));
  server.on('tlsClientError', () => {});
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
    process.stdout.write(`${JSON.stringify({ msg: 'floor listening', port: (server.address() as net.AddressInfo).port })}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
}

function pipeToBackend(client: Piped, port: number): void {
  client.setNoDelay(true);
  const upstream: Piped = net.connect({ host: '127.0.0.1', port, noDelay: true, onread: { buffer: READ_BUFFER, callback: onUpstreamRead } });
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

main();
