// Issue 22, §1: where the memory per idle TLS connection goes on each runtime. A bare node:tls server (ECDSA P-256
// certificate, nothing but TLS) holds N idle connections from a client process; the server's RSS after minus
// before, divided by N, is what one held TLS connection costs that runtime, allocator and key exchange group.
//
//   node dist/bench/tls-memory-probe.js --server-node /usr/bin/node --client-node .ci/node24/.../bin/node \
//     --groups X25519MLKEM768:X25519 --connections 2000 [--jemalloc] [--malloc-conf dirty_decay_ms:0] \
//     [--server-node-arg --max-semi-space-size=1]
//
// The server and the client run as separate processes, each on its own binary (Node 20 has no ML-KEM: a Node 20
// client never offers it). Prints one JSON line. RSS is far less sensitive to a loaded machine than CPU.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readRssBytes } from './process-stats.js';
import { proxyPreload } from './targets.js';

const SELF = fileURLToPath(import.meta.url);

export interface TlsMemoryProbeOptions {
  serverNode: string;
  clientNode: string;
  /** ecdhCurve of both sides, e.g. 'X25519' or 'X25519MLKEM768:X25519'. */
  groups: string;
  connections: number;
  /** LD_PRELOAD jemalloc in the server (as the deployment files do). */
  jemalloc: boolean;
  /** jemalloc's MALLOC_CONF for the server (allocator A/B), e.g. 'dirty_decay_ms:0'; none by default. */
  mallocConf?: string;
  /** Flags for the server's Node (V8 heap sizing A/B), e.g. ['--max-semi-space-size=1']. */
  serverNodeArgs?: string[];
}

/** What the server's own accounting says (process.memoryUsage()), in MB: the JS heap against the RSS. */
export interface ServerHeap {
  heapTotalMb: number;
  heapUsedMb: number;
  externalMb: number;
}

export interface TlsMemoryProbeResult extends TlsMemoryProbeOptions {
  serverVersion: string;
  serverOpenssl: string;
  negotiated: string;
  held: number;
  rssBeforeMb: number;
  rssHeldMb: number;
  perConnectionKb: number;
  /** The server's JS heap before and with the connections held (after a full GC each time). */
  heapBefore: ServerHeap;
  heapHeld: ServerHeap;
  /** V8's heap (heapTotal) growth per connection: the part of perConnectionKb that is JavaScript's. */
  heapPerConnectionKb: number;
}

export async function probeTlsMemory(options: TlsMemoryProbeOptions): Promise<TlsMemoryProbeResult> {
  const preload = options.jemalloc ? proxyPreload() : undefined;
  if (options.jemalloc && !preload) throw new Error('--jemalloc: no libjemalloc.so.2 on this machine');
  const env: NodeJS.ProcessEnv = { ...process.env, LD_PRELOAD: preload ?? '' };
  delete env.MALLOC_CONF;
  if (options.mallocConf) env.MALLOC_CONF = options.mallocConf;
  const server = spawn(
    options.serverNode,
    [...(options.serverNodeArgs ?? []), '--expose-gc', SELF, 'server', options.groups],
    { env, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  try {
    const lines = readLines(server.stdout);
    const ready = JSON.parse(await lines.next()) as { port: number; version: string; openssl: string };
    const heap = async (): Promise<ServerHeap> => {
      server.stdin.write('heap\n');
      return JSON.parse(await lines.next()) as ServerHeap;
    };
    const heapBefore = await heap();
    const before = readRssBytes(server.pid!) ?? 0;
    const client = spawn(
      options.clientNode,
      [SELF, 'client', String(ready.port), options.groups, String(options.connections)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const clientLines = readLines(client.stdout);
    const opened = JSON.parse(await clientLines.next()) as { held: number; negotiated: string };
    // Let the server settle (freed handshake buffers) before reading what the connections hold.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const held = readRssBytes(server.pid!) ?? 0;
    // After the RSS reading: the GC this runs must not lower the figure above.
    const heapHeld = await heap();
    client.kill('SIGKILL');
    await once(client, 'exit');
    return {
      ...options,
      serverVersion: ready.version,
      serverOpenssl: ready.openssl,
      negotiated: opened.negotiated,
      held: opened.held,
      rssBeforeMb: before / 2 ** 20,
      rssHeldMb: held / 2 ** 20,
      perConnectionKb: (held - before) / 1000 / opened.held,
      heapBefore,
      heapHeld,
      heapPerConnectionKb: ((heapHeld.heapTotalMb - heapBefore.heapTotalMb) * 2 ** 20) / 1000 / opened.held,
    };
  } finally {
    server.kill('SIGKILL');
  }
}

function readLines(stream: NodeJS.ReadableStream): { next(): Promise<string> } {
  let buffer = '';
  const waiting: Array<(line: string) => void> = [];
  const ready: string[] = [];
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    let index = buffer.indexOf('\n');
    while (index >= 0) {
      const line = buffer.slice(0, index);
      buffer = buffer.slice(index + 1);
      const waiter = waiting.shift();
      if (waiter) waiter(line);
      else ready.push(line);
      index = buffer.indexOf('\n');
    }
  });
  return {
    next: () => {
      const line = ready.shift();
      return line === undefined ? new Promise((resolve) => waiting.push(resolve)) : Promise.resolve(line);
    },
  };
}

/** The server side: node:tls with a fresh ECDSA P-256 certificate, accepting and holding connections. */
async function runServer(groups: string): Promise<void> {
  const tls = await import('node:tls');
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
  } as never);
  const held = new Set<unknown>();
  const server = tls.createServer({ key: pems.private, cert: pems.cert, ecdhCurve: groups }, (socket) => {
    held.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => held.delete(socket));
  });
  // `heap` on stdin: a full GC, then process.memoryUsage() in MB on stdout.
  const input = (await import('node:readline')).createInterface({ input: process.stdin });
  input.on('line', () => {
    (globalThis as { gc?: () => void }).gc?.();
    const usage = process.memoryUsage();
    const mb = (bytes: number) => bytes / 2 ** 20;
    process.stdout.write(
      `${JSON.stringify({ heapTotalMb: mb(usage.heapTotal), heapUsedMb: mb(usage.heapUsed), externalMb: mb(usage.external) })}\n`,
    );
  });
  server.listen(0, '127.0.0.1', () => {
    (globalThis as { gc?: () => void }).gc?.();
    const { port } = server.address() as { port: number };
    process.stdout.write(`${JSON.stringify({ port, version: process.version, openssl: process.versions.openssl })}\n`);
  });
}

/** The client side: opens `count` connections, 50 at a time, and holds them. */
async function runClient(port: number, groups: string, count: number): Promise<void> {
  const tls = await import('node:tls');
  const sockets: unknown[] = [];
  let negotiated = '';
  let next = 0;
  const open = (): Promise<void> =>
    new Promise((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ecdhCurve: groups }, () => {
        negotiated ||= (socket.getEphemeralKeyInfo() as { name?: string } | null)?.name ?? '?';
        sockets.push(socket);
        resolve();
      });
      socket.on('error', () => resolve());
    });
  const worker = async () => {
    while (next < count) {
      next++;
      await open();
    }
  };
  await Promise.all(Array.from({ length: 50 }, worker));
  process.stdout.write(`${JSON.stringify({ held: sockets.length, negotiated })}\n`);
  setInterval(() => {}, 1000);
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'server') await runServer(rest[0]!);
else if (mode === 'client') await runClient(Number(rest[0]), rest[1]!, Number(rest[2]));
else if (process.argv[1] === SELF) {
  const { values } = parseArgs({
    options: {
      'server-node': { type: 'string', default: process.execPath },
      'client-node': { type: 'string', default: process.execPath },
      groups: { type: 'string', default: 'X25519' },
      connections: { type: 'string', default: '2000' },
      jemalloc: { type: 'boolean', default: false },
      'malloc-conf': { type: 'string' },
      'server-node-arg': { type: 'string', multiple: true },
    },
  });
  const result = await probeTlsMemory({
    serverNode: values['server-node'],
    clientNode: values['client-node'],
    groups: values.groups,
    connections: Number(values.connections),
    jemalloc: values.jemalloc,
    mallocConf: values['malloc-conf'],
    serverNodeArgs: values['server-node-arg'],
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
