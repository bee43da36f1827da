// A stand-in central system for proxy tests: an HTTP server and a `ws` WebSocketServer on 127.0.0.1, port 0.
// It records what reached it (requests with their headers, WebSocket handshakes) and counts its open sockets,
// so tests can prove what the proxy forwarded and that it leaked nothing.
//
//   GET /health            200 {"status":"ok"}
//   GET /slow              never answers (upstream timeout tests)
//   GET /delay?ms=N        answers after N ms (drain tests)
//   anything else          200 JSON echo of method, url and headers
//   WebSocket (any path)   echoes messages; picks ocpp1.6 when offered
//   WebSocket /ocpp/UNKNOWN*  refused with 404, as a central system refuses a charger it does not know

import http, { type IncomingHttpHeaders } from 'node:http';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

export interface TestUpstream {
  port: number;
  url: string;
  requests: SeenRequest[];
  handshakes: SeenRequest[];
  wss: WebSocketServer;
  /** WebSocket connections the upstream currently holds. */
  webSockets(): Set<WebSocket>;
  /** TCP sockets the upstream currently has open (HTTP and WebSocket). */
  openSockets(): number;
  close(): Promise<void>;
}

export async function startTestUpstream(): Promise<TestUpstream> {
  const requests: SeenRequest[] = [];
  const handshakes: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const url = new URL(req.url ?? '/', 'http://upstream');
    if (url.pathname === '/slow') return; // never answers
    const reply = () => {
      const body = JSON.stringify(
        url.pathname === '/health' ? { status: 'ok' } : { method: req.method, url: req.url, headers: req.headers },
      );
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    };
    const delay = Number(url.searchParams.get('ms') ?? 0);
    if (url.pathname === '/delay') setTimeout(reply, delay);
    else reply();
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const wss = new WebSocketServer({
    server,
    handleProtocols: (protocols) => (protocols.has('ocpp1.6') ? 'ocpp1.6' : false),
    verifyClient: (info, done) =>
      info.req.url?.startsWith('/ocpp/UNKNOWN') ? done(false, 404, 'Unknown charge point') : done(true),
  });
  wss.on('headers', (_headers, req) =>
    handshakes.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers }),
  );
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(isBinary ? data : `echo:${String(data)}`));
    ws.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    handshakes,
    wss,
    webSockets: () => wss.clients,
    openSockets: () => sockets.size,
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
