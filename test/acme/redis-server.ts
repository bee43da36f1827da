// A private redis-server for the --acme-store redis tests, on a free loopback port, without persistence, killed
// at the end. In CI (CI=true) a missing redis-server is a failure; elsewhere the tests are skipped with a message.

import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePorts } from '../support/acme-pebble.js';

export interface TestRedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** undefined when redis-server can run; otherwise why not. */
export function redisServerUnavailable(): string | undefined {
  if (spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0) return undefined;
  const reason = 'redis-server missing (apt-get install -y redis-server)';
  if (process.env.CI === 'true') throw new Error(`CI requires redis-server for the --acme-store redis tests: ${reason}`);
  process.stderr.write(`\n*** SKIPPING --acme-store redis tests: ${reason} ***\n\n`);
  return reason;
}

export async function startRedisServer(): Promise<TestRedisServer> {
  const [port] = await freePorts(1);
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
  const deadline = Date.now() + 5_000;
  while (!(await answersPing(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server on port ${port} did not start:\n${output.join('')}`);
    }
    await sleep(50);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(500, () => socket.destroy());
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      resolve(data.toString().startsWith('+PONG'));
      socket.destroy();
    });
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}
