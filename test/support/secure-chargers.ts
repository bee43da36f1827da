// A charger connecting over wss:// the way each OCPP security profile does: with a Basic auth password
// (profiles 1, 2), a client certificate (profile 3), both or neither, optionally resuming an earlier TLS session.
// It reports the upgrade's status, the refusal's text, whether the TLS session was resumed and the session to
// resume next time.

import tls, { type ConnectionOptions, type TLSSocket } from 'node:tls';
import WebSocket, { type ClientOptions } from 'ws';

export interface SecureChargerOptions {
  certPem?: string;
  keyPem?: string;
  password?: string | Buffer;
  /** A session from an earlier attempt (TLS 1.2 or 1.3), to resume. */
  session?: Buffer;
  headers?: Record<string, string>;
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** ws:// instead of wss:// (profile 1 on the HTTP listener). */
  plain?: boolean;
  /** The loopback source address to connect from (127.0.0.2, …). */
  localAddress?: string;
}

export interface SecureChargerAttempt {
  /** 101 when upgraded, else the refusal's status. */
  status: number;
  /** The refusal's body (empty when upgraded). */
  body: string;
  /** Whether the TLS handshake resumed `options.session`. */
  resumed: boolean;
  /** The session the proxy gave on this connection (TLS 1.3: its first ticket), for the next attempt. */
  session: Buffer | undefined;
  /** The open WebSocket when upgraded. */
  socket: WebSocket | undefined;
}

export async function connectSecureCharger(
  port: number,
  identity: string,
  options: SecureChargerOptions = {},
): Promise<SecureChargerAttempt> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.password !== undefined) {
    const credentials = Buffer.concat([Buffer.from(`${identity}:`), Buffer.from(options.password)]);
    headers.authorization = `Basic ${credentials.toString('base64')}`;
  }
  let tlsSocket: TLSSocket | undefined;
  let session: Buffer | undefined;
  const scheme = options.plain ? 'ws' : 'wss';
  const clientOptions: ClientOptions & ConnectionOptions = {
    headers,
    rejectUnauthorized: false,
    servername: 'localhost',
    cert: options.certPem,
    key: options.keyPem,
    session: options.session,
    maxVersion: options.maxVersion,
    localAddress: options.localAddress,
  };
  if (!options.plain)
    (clientOptions as { createConnection?: unknown }).createConnection = (connectOptions: ConnectionOptions) => {
      tlsSocket = tls.connect(connectOptions);
      tlsSocket.on('session', (ticket: Buffer) => (session ??= ticket));
      return tlsSocket;
    };
  const ws = new WebSocket(
    `${scheme}://127.0.0.1:${port}/ocpp/${encodeURIComponent(identity)}`,
    ['ocpp1.6'],
    clientOptions,
  );
  return new Promise((resolve, reject) => {
    const result = (status: number, body: string, socket: WebSocket | undefined): SecureChargerAttempt => ({
      status,
      body,
      resumed: tlsSocket?.isSessionReused() ?? false,
      session: session ?? (tlsSocket?.getProtocol() === 'TLSv1.2' ? tlsSocket.getSession() : undefined),
      socket,
    });
    ws.once('open', () => resolve(result(101, '', ws)));
    ws.once('unexpected-response', (request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        resolve(result(response.statusCode ?? 0, body, undefined));
        request.destroy();
      });
    });
    ws.once('error', reject);
  });
}

/** Closes an upgraded attempt's socket and waits for it. */
export async function closeAttempt(attempt: SecureChargerAttempt): Promise<void> {
  const socket = attempt.socket;
  if (!socket || socket.readyState === WebSocket.CLOSED) return;
  await new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    socket.close();
  });
}
