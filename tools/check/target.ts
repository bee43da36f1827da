// The site under check and the ways of reaching it every check shares: a TLS connection to the URL's host (or
// --address) with the URL's name as SNI, and a timed HTTPS GET. Certificates are not verified here: the
// certificate check reports on them once, in its own rows, instead of every later step failing for the same reason.

import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import tls, { type SecureContext, type SecureContextOptions, type TLSSocket } from 'node:tls';
import { ConfigError } from '../../common/config.js';
import { median } from '../../common/median.js';
import type { CheckConfig } from './options.js';

export interface CheckTarget {
  /** https://host[:port] as given. */
  url: URL;
  /** The URL's host without IPv6 brackets: the certificate name and Host header. */
  hostname: string;
  port: number;
  /** Where connections go: --address or the hostname. */
  connectHost: string;
  /** SNI carries names only: undefined when the URL holds an IP address. */
  servername: string | undefined;
  /** Trusted CAs: the system's and --ca's. */
  ca: string[];
  timeoutMs: number;
  config: CheckConfig;
  /** Secure contexts by their options: parsing the system's CAs costs ~20 ms, which would show in every handshake time. */
  contexts: Map<string, SecureContext>;
}

/** What may differ between the connections of a run: the versions and ciphers offered. */
export type ContextOptions = Pick<SecureContextOptions, 'minVersion' | 'maxVersion' | 'ciphers'>;

export function checkTarget(config: CheckConfig): CheckTarget {
  if (!config.url) throw new ConfigError('url', 'name the site to check: ocpp-edge check https://yourdomain.com');
  const url = new URL(config.url);
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    url,
    hostname,
    port: url.port === '' ? 443 : Number(url.port),
    connectHost: config.address ?? hostname,
    servername: isIP(hostname) ? undefined : hostname,
    ca: config.ca ? [...tls.rootCertificates, readCa(config.ca)] : [...tls.rootCertificates],
    timeoutMs: config.timeout * 1000,
    config,
    contexts: new Map(),
  };
}

export interface TlsConnection {
  socket: TLSSocket;
  /** TCP connect and TLS handshake, ms. */
  handshakeMs: number;
}

/** A TLS connection that finished its handshake (certificate not verified), or the error that prevented it. */
export function connectTls(target: CheckTarget, options: ContextOptions = {}): Promise<TlsConnection> {
  return new Promise((resolve, reject) => {
    let socket: TLSSocket;
    let started: number;
    try {
      const secureContext = contextFor(target, options);
      started = performance.now();
      socket = tls.connect({
        host: target.connectHost,
        port: target.port,
        servername: target.servername,
        secureContext,
        rejectUnauthorized: false,
        ALPNProtocols: ['http/1.1'],
      });
    } catch (error) {
      // Options this Node cannot use at all (an unknown protocol version) throw before any byte is sent.
      reject(error);
      return;
    }
    const timer = setTimeout(
      () =>
        socket.destroy(
          Object.assign(new Error(`no TLS handshake within ${target.timeoutMs} ms`), { code: 'ETIMEDOUT' }),
        ),
      target.timeoutMs,
    );
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      resolve({ socket, handshakeMs: performance.now() - started });
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
  });
}

export interface HttpsAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** Request written to last byte of the answer, on a connection already open, ms. */
  ms: number;
}

export interface TimedAnswer extends HttpsAnswer {
  /** The first request, which paid for TCP and the TLS handshake, ms. */
  firstMs: number;
  /** Every timed request (not the first), ms. */
  samplesMs: number[];
}

/**
 * GET `path` over one kept-alive connection: once to open it (TCP and the TLS handshake, which a charger or API
 * client pays once per connection), then `samples` more, timed. `ms` is their median: the plan's REST target is an
 * average response time, and one sample on a busy machine says little.
 */
export async function timedGet(target: CheckTarget, path: string, samples = 1): Promise<TimedAnswer> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1, secureContext: contextFor(target, {}) });
  try {
    const first = await get(target, path, agent);
    if (first.status !== 200) return { ...first, firstMs: first.ms, samplesMs: [] };
    const answers: HttpsAnswer[] = [];
    for (let index = 0; index < samples; index++) answers.push(await get(target, path, agent));
    const samplesMs = answers.map((answer) => answer.ms);
    return { ...answers[answers.length - 1]!, ms: median(samplesMs), firstMs: first.ms, samplesMs };
  } finally {
    agent.destroy();
  }
}

function get(target: CheckTarget, path: string, agent: https.Agent): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const request = https.request(
      {
        host: target.connectHost,
        port: target.port,
        path,
        headers: { host: target.url.host, 'user-agent': 'ocpp-edge-check' },
        servername: target.servername,
        rejectUnauthorized: false,
        agent,
        timeout: target.timeoutMs,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        // Only /health's small JSON is of interest: a large body is not kept.
        response.on('data', (chunk: string) => {
          if (body.length < 65536) body += chunk;
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body,
            ms: performance.now() - started,
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('timeout', () =>
      request.destroy(Object.assign(new Error(`no answer within ${target.timeoutMs} ms`), { code: 'ETIMEDOUT' })),
    );
    request.on('error', reject);
    request.end();
  });
}

function contextFor(target: CheckTarget, options: ContextOptions): SecureContext {
  const key = JSON.stringify(options);
  let context = target.contexts.get(key);
  if (!context) {
    context = tls.createSecureContext({ ca: target.ca, ...options });
    target.contexts.set(key, context);
  }
  return context;
}

function readCa(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError('--ca', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}
