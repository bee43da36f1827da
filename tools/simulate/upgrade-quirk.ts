// The `autel-no-connection-header` quirk: the upgrade request goes out without its `Connection: Upgrade` line, as
// the Autel MaxiCharger AC sends it (lbbrhzn/ocpp#1933; test/interop/corpus/handshakes/). The `ws` client always
// writes that header and has no option to leave it out, so this gives it a `createConnection` (ws's own socket
// opening: net for ws://, TLS for wss://) whose socket drops the line from the first thing written to it — the
// request head (Node's HTTP client writes the head of a body-less GET in one write). Everything after the head,
// the WebSocket frames, goes through untouched.

import net from 'node:net';
import tls from 'node:tls';

type ConnectOptions = net.NetConnectOpts & tls.ConnectionOptions & { socketPath?: string; host?: string };

/** A `createConnection` for ws (wsOpts) that sends the upgrade without its Connection header. */
export function connectWithoutConnectionHeader(secure: boolean): (options: ConnectOptions) => net.Socket {
  return (options) => {
    // As ws opens its sockets (websocket.js netConnect / tlsConnect): `path` is the URL's, not a socket path.
    const socket = secure
      ? tls.connect({
          ...options,
          path: undefined,
          servername: options.servername ?? (net.isIP(options.host ?? '') ? '' : options.host),
        } as tls.ConnectionOptions)
      : net.connect({ ...options, path: options.socketPath } as net.NetConnectOpts);
    const write = socket.write;
    socket.write = function firstWrite(this: net.Socket, chunk: unknown, ...rest: unknown[]) {
      socket.write = write;
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('latin1');
      const head = text.replace(/\r\nConnection: *Upgrade(?=\r\n)/i, '');
      return (write as (...args: unknown[]) => boolean).call(
        this,
        typeof chunk === 'string' ? head : Buffer.from(head, 'latin1'),
        ...rest,
      );
    } as typeof socket.write;
    return socket;
  };
}
