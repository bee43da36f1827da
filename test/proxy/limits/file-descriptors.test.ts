// Issue 17 §1: the open-file limit. The proxy reads RLIMIT_NOFILE at start, warns when it is low and derives its
// connection ceiling from it; at the ceiling new connections are refused and every held charger keeps working.
// Past the limit (a --max-connections set too high), accept() fails with EMFILE: the process must neither crash
// nor spin on accept. Both run the real `ocpp-edge proxy` under a lowered `ulimit -n`.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import type WebSocket from 'ws';
import { ceilingFor } from '../../../proxy/limits/fd-limit.js';
import { startProxyProcess, type ProxyProcess } from '../../support/proxy-process.js';
import { startTestUpstream, type TestUpstream } from '../../support/test-upstream.js';
import { nextMessage, openWebSocket } from '../../support/tls-clients.js';
import { waitFor } from '../../support/waiting.js';

const NOFILE = 256;

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function tlsOutcome(port: number): Promise<'secure' | 'closed'> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false });
    const done = (outcome: 'secure' | 'closed') => {
      socket.destroy();
      resolve(outcome);
    };
    socket.setTimeout(5000, () => done('closed'));
    socket.once('secureConnect', () => done('secure'));
    socket.once('error', () => done('closed'));
    socket.once('close', () => done('closed'));
  });
}

async function stop(proxy: ProxyProcess | undefined): Promise<void> {
  await proxy?.stop();
}

function logLines(proxy: ProxyProcess): Array<Record<string, unknown>> {
  return proxy.output.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe(`under ulimit -n ${NOFILE}`, () => {
  let upstream: TestUpstream;

  before(async () => {
    upstream = await startTestUpstream();
  });

  after(async () => {
    await upstream?.close();
  });

  test('the ceiling comes from the limit, the start-up log warns, and at the ceiling held chargers keep working', async () => {
    const proxy = await startProxyProcess(['--tls', 'self-signed', '--upstream', upstream.url], 15_000, {
      nofile: NOFILE,
    });
    const held: WebSocket[] = [];
    try {
      const ceiling = ceilingFor(NOFILE);
      const listening = logLines(proxy).find((line) => line.msg === 'proxy listening')!;
      assert.equal(listening.maxConnections, ceiling);
      assert.ok(
        logLines(proxy).some((line) => line.level === 40 && /RLIMIT_NOFILE\) is 256/.test(String(line.msg))),
        'a warning names the low limit',
      );
      for (let i = 0; i < ceiling; i++) held.push(await openWebSocket(proxy.httpsPort, `/ocpp/CP-${i}`, 'ocpp1.6'));
      const over = await Promise.all(Array.from({ length: 10 }, () => tlsOutcome(proxy.httpsPort)));
      assert.deepEqual(new Set(over), new Set(['closed']));
      // Every held charger still talks through the proxy (its upstream socket had a descriptor kept for it).
      await Promise.all(
        held.map(async (socket, i) => {
          socket.send(`m${i}`);
          assert.equal(await nextMessage(socket, 10_000), `echo:m${i}`);
        }),
      );
      assert.equal(proxy.child.exitCode, null);
      for (const socket of held.splice(0, 5)) socket.close();
      await waitFor(
        'a connection under the ceiling again',
        async () => (await tlsOutcome(proxy.httpsPort)) === 'secure',
        {
          timeoutMs: 5000,
          intervalMs: 100,
        },
      );
    } finally {
      for (const socket of held) socket.terminate();
      await stop(proxy);
    }
  });

  test('past the limit (EMFILE at accept) the proxy neither crashes nor spins, and serves again once fds are free', async () => {
    const proxy = await startProxyProcess(
      ['--tls', 'self-signed', '--upstream', upstream.url, '--max-connections', '100000'],
      15_000,
      { nofile: NOFILE },
    );
    const flood: net.Socket[] = [];
    try {
      assert.ok(
        logLines(proxy).some((line) => line.level === 40 && /--max-connections 100000 is above/.test(String(line.msg))),
      );
      // More TCP connections than the process has descriptors; they never start TLS.
      for (let i = 0; i < NOFILE + 100; i++) {
        const socket = net.connect({ host: '127.0.0.1', port: proxy.httpsPort });
        socket.on('error', () => {});
        flood.push(socket);
      }
      await Promise.all(
        flood.map((socket) => new Promise((resolve) => socket.once('connect', resolve).once('close', resolve))),
      );
      // The listen backlog still holds connections the proxy cannot accept: a busy loop would burn a core here.
      const before = cpuSeconds(proxy.child.pid!);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const used = cpuSeconds(proxy.child.pid!) - before;
      // libuv shed what it could not accept (closing it with its reserved descriptor): the limit was reached.
      const shed = flood.filter((socket) => socket.readyState === 'closed' || socket.readableEnded).length;
      assert.ok(shed > 0, 'some connections were shed at the fd limit');
      assert.ok(used < 0.5, `the proxy used ${used} s of CPU in 2 s at the fd limit`);
      assert.equal(proxy.child.exitCode, null, 'the proxy is still running');
      for (const socket of flood.splice(0)) socket.destroy();
      const charger = await waitFor(
        'a charger to connect once descriptors are free',
        () => openWebSocket(proxy.httpsPort, '/ocpp/CP-AFTER', 'ocpp1.6'),
        { timeoutMs: 10_000, intervalMs: 200, retryErrors: true },
      );
      charger.send('hello');
      assert.equal(await nextMessage(charger), 'echo:hello');
      charger.close();
    } finally {
      for (const socket of flood) socket.destroy();
      await stop(proxy);
    }
  });
});
