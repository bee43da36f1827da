// Issue 6, point 4 (upstream pool): several real upstreams behind one proxy. New WebSocket sessions go to the
// upstream holding the fewest; an upstream that stops is taken out at once by the exchange that hits it (passive
// check, and the exchange is retried on the next one) or within an interval by the active /health checks,
// requests keep succeeding on the rest, `ocpp_edge_upstream_healthy` shows it; once it answers /health again it
// is put back and receives the new sessions; with every upstream down, clients get 502 as before.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import { metricValue, scrapeMetrics, startProxyUnderTest, type ProxyUnderTest } from '../support/proxy-under-test.js';
import { httpsRequest, nextMessage, openWebSocket, refusedUpgradeStatus } from '../support/tls-clients.js';
import { waitFor } from '../support/waiting.js';

/** An upstream that names itself in every answer and can be stopped and started again on the same port. */
interface NamedUpstream {
  name: string;
  url: string;
  /** Paths of the WebSocket sessions it holds now. */
  sessions(): string[];
  stop(): Promise<void>;
  start(): Promise<void>;
}

async function startNamedUpstream(name: string): Promise<NamedUpstream> {
  let port = 0;
  let server: http.Server | undefined;
  let wss: WebSocketServer | undefined;
  const open = new Map<WebSocket, string>();
  const sockets = new Set<Socket>();
  const start = async () => {
    server = http.createServer((req, res) => {
      const body =
        req.url === '/health' ? JSON.stringify({ status: 'ok' }) : JSON.stringify({ upstream: name, url: req.url });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    });
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    wss = new WebSocketServer({ server, handleProtocols: () => 'ocpp1.6' });
    wss.on('connection', (ws, req) => {
      open.set(ws, req.url ?? '');
      ws.on('close', () => open.delete(ws));
      ws.on('message', (data) => ws.send(`${name}:${String(data)}`));
      ws.on('error', () => {});
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
  };
  await start();
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    sessions: () => [...open.values()],
    start,
    async stop() {
      for (const ws of open.keys()) ws.terminate();
      wss?.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
    },
  };
}

/** Which upstream a session reached: the upstreams prefix their echo with their name. */
async function upstreamOf(charger: WebSocket): Promise<string> {
  charger.send('who');
  return (await nextMessage(charger)).split(':')[0];
}

async function healthy(edge: ProxyUnderTest, upstream: NamedUpstream): Promise<number | undefined> {
  return metricValue(await scrapeMetrics(edge.proxy), 'ocpp_edge_upstream_healthy', { upstream: upstream.url });
}

const timings: Record<string, number> = {};

describe('upstream pool', { concurrency: false }, () => {
  let a: NamedUpstream;
  let b: NamedUpstream;
  /** Active checks every 0.5 s. */
  let edge: ProxyUnderTest;
  const chargers: WebSocket[] = [];

  before(async () => {
    [a, b] = await Promise.all([startNamedUpstream('A'), startNamedUpstream('B')]);
    edge = await startProxyUnderTest({
      upstream: [a.url, b.url],
      tls: 'self-signed',
      'health-interval': 0.5,
      'health-timeout': 0.3,
    });
  });

  after(async () => {
    for (const charger of chargers) charger.terminate();
    await edge?.close();
    await Promise.all([a?.stop().catch(() => undefined), b?.stop().catch(() => undefined)]);
    process.stderr.write(`upstream pool timings (ms): ${JSON.stringify(timings)}\n`);
  });

  const connect = async (id: string) => {
    const charger = await openWebSocket(edge.proxy.httpsPort, `/ocpp/${id}`, 'ocpp1.6');
    chargers.push(charger);
    return charger;
  };

  test('new WebSocket sessions go to the upstream holding the fewest', async () => {
    const first = await Promise.all(
      [connect('LC-1'), connect('LC-2'), connect('LC-3'), connect('LC-4')].map(async (opening) =>
        upstreamOf(await opening),
      ),
    );
    assert.deepEqual(first.sort(), ['A', 'A', 'B', 'B'], 'equal upstreams take turns');
    // Free A: the next sessions all go there until it holds as many as B (round robin would alternate).
    for (const charger of chargers) if ((await upstreamOf(charger)) === 'A') charger.close();
    await waitFor('A to hold no session', () => a.sessions().length === 0);
    const next = [];
    for (const id of ['LC-5', 'LC-6']) next.push(await upstreamOf(await connect(id)));
    assert.deepEqual(next, ['A', 'A']);
    const metrics = await scrapeMetrics(edge.proxy);
    assert.equal(metricValue(metrics, 'ocpp_edge_upstream_ws_sessions', { upstream: a.url }), 2);
    assert.equal(metricValue(metrics, 'ocpp_edge_upstream_ws_sessions', { upstream: b.url }), 2);
    assert.equal(await healthy(edge, a), 1);
    assert.equal(await healthy(edge, b), 1);
  });

  test('a stopped upstream is taken out by the active check, requests keep succeeding, and it is put back when it answers again', async () => {
    const stopped = Date.now();
    await b.stop();
    await waitFor('the active check to take B out', async () => (await healthy(edge, b)) === 0, {
      timeoutMs: 3000,
      intervalMs: 20,
    });
    timings.activeCheckTakesOut = Date.now() - stopped;
    assert.ok(
      edge.logs.matching(
        (line) => line.check === 'active' && line.upstream === b.url && /is down/.test(String(line.msg)),
      ).length === 1,
    );
    for (let i = 0; i < 6; i++) {
      const response = await httpsRequest(edge.proxy.httpsPort, `/api/while-b-is-down-${i}`);
      assert.equal(response.status, 200);
      assert.equal(JSON.parse(response.body).upstream, 'A');
    }
    assert.equal(await upstreamOf(await connect('WHILE-B-DOWN')), 'A');

    const restarted = Date.now();
    await b.start();
    await waitFor('the active check to put B back', async () => (await healthy(edge, b)) === 1, {
      timeoutMs: 3000,
      intervalMs: 20,
    });
    timings.activeCheckPutsBack = Date.now() - restarted;
    // A holds 3 sessions, B none: B gets the next three.
    const next = [];
    for (const id of ['BACK-1', 'BACK-2', 'BACK-3']) next.push(await upstreamOf(await connect(id)));
    assert.deepEqual(next, ['B', 'B', 'B']);
    assert.deepEqual(b.sessions().sort(), ['/ocpp/BACK-1', '/ocpp/BACK-2', '/ocpp/BACK-3']);
  });

  test('passive check: the exchange that hits a stopped upstream marks it down at once and is retried on the next one', async () => {
    // No active check within the test's time: only the failing exchanges can tell.
    const passive = await startProxyUnderTest({ upstream: [a.url, b.url], tls: 'self-signed', 'health-interval': 60 });
    const held: WebSocket[] = [];
    try {
      // One session on each, then B's closed: A holds 1, B 0, so the next session is sent to B.
      for (const id of ['P-1', 'P-2'])
        held.push(await openWebSocket(passive.proxy.httpsPort, `/ocpp/${id}`, 'ocpp1.6'));
      for (const charger of held) if ((await upstreamOf(charger)) === 'B') charger.close();
      await waitFor('B to hold no P- session', () => !b.sessions().some((path) => path.startsWith('/ocpp/P-')));
      await b.stop();

      const started = Date.now();
      const charger = await openWebSocket(passive.proxy.httpsPort, '/ocpp/P-RETRIED', 'ocpp1.6');
      held.push(charger);
      timings.websocketRetriedOnNext = Date.now() - started;
      assert.equal(await upstreamOf(charger), 'A', 'the refused upgrade was retried on A');
      assert.equal(await healthy(passive, b), 0, 'B is out at once');
      assert.equal(passive.logs.matching((line) => line.check === 'passive' && line.upstream === b.url).length, 1);
      assert.equal(
        passive.logs.matching(
          (line) => line.msg === 'upstream refused the websocket connection, retrying on the next one',
        ).length,
        1,
      );
      for (let i = 0; i < 4; i++)
        assert.equal(JSON.parse((await httpsRequest(passive.proxy.httpsPort, `/api/after-${i}`)).body).upstream, 'A');
      assert.equal(
        metricValue(await scrapeMetrics(passive.proxy), 'ocpp_edge_http_requests_total', {
          route: 'api',
          status: '502',
        }),
        undefined,
      );
    } finally {
      for (const charger of held) charger.terminate();
      await passive.close();
      await b.start();
    }
  });

  test('passive check on HTTP: a request refused by one upstream is answered by the next, without a 502', async () => {
    const dead = await startNamedUpstream('DEAD');
    await dead.stop();
    const passive = await startProxyUnderTest({
      upstream: [dead.url, a.url],
      tls: 'self-signed',
      'health-interval': 0,
    });
    try {
      const answers = [];
      for (let i = 0; i < 4; i++) {
        const response = await httpsRequest(passive.proxy.httpsPort, `/api/request-${i}`);
        assert.equal(response.status, 200);
        answers.push(JSON.parse(response.body).upstream);
      }
      assert.deepEqual(answers, ['A', 'A', 'A', 'A']);
      assert.equal(await healthy(passive, dead), 0);
      assert.equal(
        passive.logs.matching((line) => line.msg === 'upstream refused the connection, retrying on the next one')
          .length,
        1,
      );
    } finally {
      await passive.close();
    }
  });

  test('every upstream down: 502 for requests and upgrades, at once', async () => {
    const [deadA, deadB] = await Promise.all([startNamedUpstream('X'), startNamedUpstream('Y')]);
    await Promise.all([deadA.stop(), deadB.stop()]);
    const down = await startProxyUnderTest({
      upstream: [deadA.url, deadB.url],
      tls: 'self-signed',
      'health-interval': 0.5,
      'health-timeout': 0.3,
    });
    try {
      await waitFor(
        'both to be marked down',
        async () => (await healthy(down, deadA)) === 0 && (await healthy(down, deadB)) === 0,
        { timeoutMs: 3000 },
      );
      const started = Date.now();
      assert.equal((await httpsRequest(down.proxy.httpsPort, '/api/charge-points')).status, 502);
      assert.equal(await refusedUpgradeStatus(down.proxy.httpsPort, '/ocpp/CP-NOWHERE', 'ocpp1.6'), 502);
      assert.ok(Date.now() - started < 2000);
    } finally {
      await down.close();
    }
  });
});
