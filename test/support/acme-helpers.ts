// Helpers for the ACME tests: a proxy configuration as the CLI would load it, captured logs, the certificate a
// fresh TLS handshake sees, Prometheus scrapes, `ocpp-edge proxy` as a long-running child, and a WebSocket upstream.

import http from 'node:http';
import { Writable } from 'node:stream';
import tls from 'node:tls';
import { WebSocketServer } from 'ws';
import { loadConfig } from '../../common/config.js';
import { createLogger, type Logger } from '../../common/logger.js';
import { proxyOptions, type ProxyConfig } from '../../proxy/options.js';
import { spawnOcppEdge, type OcppEdgeProcess } from './cli.js';

/** Flags as on the command line (kebab-case), validated exactly like `ocpp-edge proxy` does. */
export function proxyConfig(flags: Record<string, unknown>): ProxyConfig {
  return loadConfig(proxyOptions, {
    flags: { host: '127.0.0.1', 'https-port': 0, 'metrics-port': 0, tls: 'acme', ...flags },
    section: 'proxy',
    env: {},
  });
}

export function flagsToArgs(flags: Record<string, unknown>): string[] {
  const args: string[] = [];
  for (const [key, value] of Object.entries(flags)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === true) args.push(`--${key}`);
      else if (item !== false && item !== undefined) args.push(`--${key}`, String(item));
    }
  }
  return args;
}

export interface CapturedLog {
  logger: Logger;
  lines: Array<Record<string, unknown> & { msg?: string }>;
  find(message: string | RegExp): Record<string, unknown> | undefined;
}

export function captureLog(level = 'info'): CapturedLog {
  const lines: CapturedLog['lines'] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  const logger = createLogger({ level, name: 'test', destination: destination as never });
  const find = (message: string | RegExp) =>
    lines.find((line) => (typeof message === 'string' ? line.msg === message : message.test(String(line.msg))));
  return { logger, lines, find };
}

export interface PeerCertificate {
  serialNumber: string;
  issuer: string;
  subject: string;
  authorized: boolean;
  authorizationError: string | undefined;
}

/**
 * The leaf certificate a new handshake gets (SNI = servername); `ca` set → chain verification result too;
 * `sigalgs`: the signature algorithms the client offers (picks the ECDSA or the RSA certificate of a name).
 */
export function handshakeCertificate(
  port: number,
  servername: string,
  ca?: string,
  sigalgs?: string,
): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false, ca, sigalgs }, () => {
      const peer = socket.getPeerCertificate();
      resolve({
        serialNumber: peer.serialNumber.toUpperCase(),
        issuer: String(peer.issuer.CN),
        subject: String(peer.subject.CN),
        authorized: socket.authorized,
        authorizationError: socket.authorizationError?.toString(),
      });
      socket.end();
    });
    socket.setTimeout(3_000, () => socket.destroy(new Error('TLS handshake timeout')));
    socket.on('error', reject);
  });
}

/** The value of one sample in a Prometheus text exposition: the series of `name` carrying all these labels. */
export function metricValue(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`).exec(line);
    if (!match) continue;
    const present = match[1] ?? '';
    if (Object.entries(labels).every(([key, value]) => present.includes(`${key}="${value}"`))) return Number(match[2]);
  }
  return undefined;
}

export function scrape(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/metrics', timeout: 2_000 }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

export interface ProxyProcess extends OcppEdgeProcess {
  /** Ports from its "proxy listening" log line. */
  ports: Promise<{ httpsPort: number; httpPort: number; metricsPort: number }>;
}

/** `ocpp-edge proxy ...args` as a long-running child (or through `script`, e.g. a cluster launcher); its output is kept. */
export function spawnProxy(args: string[], env: NodeJS.ProcessEnv, script?: string): ProxyProcess {
  const proxy = spawnOcppEdge(['proxy', ...args], { env, script });
  // An order against Pebble may come before the listening line: more time than a plain start.
  const ports = proxy.logLine('proxy listening', 60_000).then((line) => ({
    httpsPort: Number(line.httpsPort),
    httpPort: Number(line.httpPort),
    metricsPort: Number(line.metricsPort),
  }));
  ports.catch(() => undefined);
  return { ...proxy, ports };
}

/** A WebSocket upstream that echoes every message, standing in for the central system. */
export async function startEchoUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => res.writeHead(200).end('ok'));
  const wss = new WebSocketServer({ server, handleProtocols: (protocols) => [...protocols][0] ?? false });
  wss.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
