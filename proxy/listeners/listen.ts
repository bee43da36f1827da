// Binding a listener, with the two failures operators meet first explained in the error itself.

import { once } from 'node:events';
import type { Server } from 'node:net';

export async function listen(
  server: Server,
  port: number,
  host: string | undefined,
  backlog: number,
  what: string,
): Promise<number> {
  server.listen({ port, host, backlog });
  try {
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error))]);
  } catch (error) {
    throw explainListenError(error as NodeJS.ErrnoException, port, host, what);
  }
  const address = server.address();
  return typeof address === 'object' && address ? address.port : port;
}

function explainListenError(error: NodeJS.ErrnoException, port: number, host: string | undefined, what: string): Error {
  const where = `${host ?? '*'}:${port}`;
  if (error.code === 'EACCES') {
    return new Error(
      `cannot listen on ${where} (${what}): permission denied. Ports below 1024 need a privilege; grant it once with ` +
        `\`sudo setcap 'cap_net_bind_service=+ep' $(which node)\`, or allow unprivileged low ports with ` +
        '`sudo sysctl -w net.ipv4.ip_unprivileged_port_start=80`, or run under systemd with ' +
        '`AmbientCapabilities=CAP_NET_BIND_SERVICE` (also for PM2 started from such a unit)',
    );
  }
  if (error.code === 'EADDRINUSE')
    return new Error(`cannot listen on ${where} (${what}): the address is already in use (is nginx still running?)`);
  if (error.code === 'EADDRNOTAVAIL')
    return new Error(`cannot listen on ${where} (${what}): no such local address (--host)`);
  return new Error(`cannot listen on ${where} (${what}): ${error.message}`);
}
