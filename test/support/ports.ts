// Loopback TCP ports nobody listens on right now (the OS picks them: bound to 0, read and released), for servers
// a test starts a moment later or that must keep their port across a restart, and for "connection refused" targets.

import net from 'node:net';

/** `count` distinct free ports: all are held at once while they are picked, so none repeats. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = net.createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return server;
    }),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return ports;
}

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}
