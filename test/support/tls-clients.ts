// Real TLS clients for proxy tests: HTTPS requests, bare TLS connections (to look at the certificate and protocol)
// and WebSocket clients, all trusting whatever the proxy presents unless a CA is given.

import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import tls, { type ConnectionOptions, type TLSSocket } from 'node:tls';
import WebSocket, { type ClientOptions } from 'ws';

export interface HttpsResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface HttpsRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  servername?: string;
  body?: string;
  timeoutMs?: number;
}

export function httpsRequest(
  port: number,
  requestPath: string,
  options: HttpsRequestOptions = {},
): Promise<HttpsResult> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      {
        host: '127.0.0.1',
        port,
        path: requestPath,
        method: options.method ?? 'GET',
        headers: options.headers,
        servername: options.servername ?? 'localhost',
        rejectUnauthorized: false,
        agent: false,
        timeout: options.timeoutMs ?? 10_000,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer to ${requestPath} in time`)));
    request.on('error', reject);
    request.end(options.body);
  });
}

/** A TLS connection that completed its handshake. */
export function tlsConnect(port: number, options: ConnectionOptions = {}): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * The session a client can resume with: TLS 1.2 has it once the handshake is done, TLS 1.3 delivers its tickets
 * after the handshake, in 'session' events.
 */
export function sessionOf(socket: TLSSocket): Promise<Buffer> {
  if (socket.getProtocol() === 'TLSv1.2' && socket.getSession()) return Promise.resolve(socket.getSession()!);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no TLS session received')), 3000);
    socket.once('session', (session: Buffer) => {
      clearTimeout(timer);
      resolve(session);
    });
  });
}

/** A full handshake with `port`; the session it gave, to resume elsewhere. */
export async function newTlsSession(port: number, options: ConnectionOptions = {}): Promise<Buffer> {
  const socket = await tlsConnect(port, options);
  try {
    return await sessionOf(socket);
  } finally {
    socket.destroy();
  }
}

/** Whether `port` resumes `session` (an abbreviated handshake) rather than doing a full one. */
export async function resumesSession(port: number, session: Buffer, options: ConnectionOptions = {}): Promise<boolean> {
  const socket = await tlsConnect(port, { ...options, session });
  try {
    return socket.isSessionReused();
  } finally {
    socket.destroy();
  }
}

/** Sends raw bytes over TLS and collects everything the proxy answers until it closes (or the deadline). */
export function rawTlsExchange(
  port: number,
  data: string,
  timeoutMs = 5000,
): Promise<{ response: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false });
    let response = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ response, closed: false });
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('secureConnect', () => socket.write(data));
    socket.on('data', (chunk: string) => (response += chunk));
    socket.on('error', (error) => {
      if (response === '') {
        clearTimeout(timer);
        reject(error);
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ response, closed: true });
    });
  });
}

export function openWebSocket(
  port: number,
  requestPath: string,
  protocols?: string | string[],
  options: ClientOptions = {},
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`wss://127.0.0.1:${port}${requestPath}`, protocols, {
      rejectUnauthorized: false,
      servername: 'localhost',
      ...options,
    } as ClientOptions);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`unexpected response ${response.statusCode}`)),
    );
  });
}

/** The HTTP status a refused WebSocket handshake got. */
export function refusedUpgradeStatus(
  port: number,
  requestPath: string,
  protocols?: string | string[],
): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`wss://127.0.0.1:${port}${requestPath}`, protocols, {
      rejectUnauthorized: false,
      servername: 'localhost',
    } as ClientOptions);
    socket.once('open', () => {
      socket.terminate();
      reject(new Error(`${requestPath} was upgraded`));
    });
    socket.once('unexpected-response', (request, response) => {
      resolve(response.statusCode ?? 0);
      request.destroy();
    });
    socket.once('error', reject);
  });
}

export function nextMessage(socket: WebSocket, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message in time')), timeoutMs);
    socket.once('message', (data) => {
      clearTimeout(timer);
      resolve(String(data));
    });
  });
}

export function closed(socket: WebSocket, timeoutMs = 5000): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    if (socket.readyState === WebSocket.CLOSED) return reject(new Error('already closed'));
    const timer = setTimeout(() => reject(new Error('no close in time')), timeoutMs);
    socket.once('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ code, reason: String(reason) });
    });
  });
}
