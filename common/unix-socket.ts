// Unix domain sockets between the proxy and the backend on one host: `--upstream unix:/run/ocpp-edge/backend.sock`
// in the proxy, `--socket /run/ocpp-edge/backend.sock` in the backend. Both sides read the address with the rules
// here, so what the backend accepts as a socket path the proxy reaches under the same name.
//
// Why: every charger frame crosses the proxy → backend hop twice per round trip. Over loopback TCP each crossing
// runs the kernel's TCP stack (segments, ACKs, timers) on both ends; a stream socket of AF_UNIX copies the bytes
// from one socket buffer to the other. nginx's `proxy_pass http://unix:/path:` does the same.

import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const UNIX_SCHEME = 'unix:';

/**
 * Longest socket path Linux accepts: sockaddr_un.sun_path is 108 bytes with the terminating NUL. A longer path
 * fails only at listen/connect time with an obscure EINVAL, so it is refused when the configuration is read.
 */
export const MAX_SOCKET_PATH_BYTES = 107;

/** `unix:/abs/path`, `unix:///abs/path` or `unix:relative/path` → the path; undefined for any other address. */
export function unixSocketPath(address: string): string | undefined {
  if (!address.startsWith(UNIX_SCHEME)) return undefined;
  const rest = address.slice(UNIX_SCHEME.length);
  return rest.startsWith('//') ? rest.slice(2) : rest;
}

/** The configuration check of a socket path: undefined when usable, otherwise why not. */
export function socketPathProblem(socketPath: string): string | undefined {
  if (socketPath === '') return 'expects a socket path, got an empty one';
  if (socketPath.includes('\0')) return 'a socket path cannot contain a NUL byte';
  const bytes = Buffer.byteLength(path.resolve(socketPath));
  if (bytes > MAX_SOCKET_PATH_BYTES)
    return `socket path ${JSON.stringify(socketPath)} is ${bytes} bytes once resolved; Unix sockets allow at most ${MAX_SOCKET_PATH_BYTES}`;
  return undefined;
}

export interface UnixListenOptions {
  /** Permission bits of the socket file: who may connect (0o660: the service's user and group). */
  mode?: number;
  backlog?: number;
}

/**
 * Listens on a Unix socket path. A socket file left by a process that died (nothing accepts on it) is removed
 * first; a live one is not touched (EADDRINUSE: another backend runs there), and neither is a file that is not a
 * socket. Resolves once listening, with the file's mode set.
 */
export async function listenOnUnixSocket(
  server: net.Server,
  socketPath: string,
  options: UnixListenOptions = {},
): Promise<void> {
  await removeStaleSocket(socketPath);
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen({ path: socketPath, backlog: options.backlog }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  if (options.mode !== undefined) chmodSync(socketPath, options.mode);
}

/** Removes `socketPath` when it is a socket nobody accepts on; leaves it (and throws EADDRINUSE) when one does. */
export async function removeStaleSocket(socketPath: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(socketPath).isSocket();
  } catch {
    return; // nothing there
  }
  if (!isSocket)
    throw Object.assign(new Error(`${socketPath} exists and is not a socket: refusing to replace it`), {
      code: 'EEXIST',
    });
  const live = await new Promise<boolean>((resolve) => {
    const probe = net.connect({ path: socketPath });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live)
    throw Object.assign(new Error(`${socketPath} is in use: another process accepts connections on it`), {
      code: 'EADDRINUSE',
    });
  unlinkSync(socketPath);
}
