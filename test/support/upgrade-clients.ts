// WebSocket upgrades sent as plain HTTPS requests, from a chosen loopback source address, so a test reads the
// status and headers of a refusal (and of the central system's own 401) without a WebSocket library in between.

import https from 'node:https';

export interface UpgradeAnswer {
  status: number;
  retryAfter: string | undefined;
}

/** Sends the upgrade; resolves with its answer (101 for an upgrade, whose socket is closed at once). */
export function upgradeAnswer(
  port: number,
  path: string,
  options: { localAddress?: string; user?: string; password?: string; headers?: Record<string, string> } = {},
): Promise<UpgradeAnswer> {
  const headers: Record<string, string> = {
    connection: 'Upgrade',
    upgrade: 'websocket',
    'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'sec-websocket-version': '13',
    'sec-websocket-protocol': 'ocpp1.6',
    ...options.headers,
  };
  if (options.password !== undefined) {
    const user = options.user ?? decodeURIComponent(path.split('/').pop() ?? '');
    headers.authorization = `Basic ${Buffer.from(`${user}:${options.password}`).toString('base64')}`;
  }
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1',
      port,
      path,
      localAddress: options.localAddress,
      servername: 'localhost',
      rejectUnauthorized: false,
      agent: false,
      timeout: 10_000,
      headers,
    });
    req.on('response', (res) => {
      resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined });
      res.resume();
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve({ status: 101, retryAfter: undefined });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to the upgrade of ${path} in time`)));
    req.on('error', reject);
    req.end();
  });
}
