// A TCP relay the test controls, between the backends and PostgreSQL: cut() closes every relayed connection and
// stops listening (the database "goes away" for the backends only), open() listens again on the same port.

import net from 'node:net';
import { freePort } from '../ports.js';

export interface TcpRelay {
  port: number;
  /** Client connections relayed right now. */
  connections(): number;
  cut(): Promise<void>;
  open(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpRelay(targetHost: string, targetPort: number): Promise<TcpRelay> {
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  const clients = new Set<net.Socket>();
  let server: net.Server | undefined;

  const open = async () => {
    server = net.createServer((client) => {
      clients.add(client);
      client.on('close', () => clients.delete(client));
      const upstream = net.connect(targetPort, targetHost);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(port, '127.0.0.1', () => resolve());
    });
  };
  const cut = async () => {
    const closing = server && new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await closing;
  };
  await open();
  return { port, open, cut, close: cut, connections: () => clients.size };
}
