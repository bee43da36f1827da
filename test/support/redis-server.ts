// A private redis-server per test file, on a free loopback port, without persistence. The test can stop it
// (SIGKILL: as abrupt as a crash) and start it again on the same port with empty data, as a Redis restarted
// without persistence, to prove what the processes do while it is gone. A test run that dies does not leave it
// behind. In CI (CI=true) a missing redis-server is a failure; elsewhere the tests are skipped with a message.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { freePort } from './ports.js';
import { waitFor } from './waiting.js';

export interface TestRedis {
  url: string;
  port: number;
  /** Stops the server (SIGKILL); resolves when it has exited. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
}

export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;
}

/**
 * undefined when redis-server can run; otherwise why not, after saying on stderr that `tests` are skipped (for
 * describe's `skip`). Throws in CI, where a missing redis-server is a failure.
 */
export function redisServerUnavailable(tests: string): string | undefined {
  if (redisServerAvailable()) return undefined;
  const reason = 'redis-server missing (apt-get install -y redis-server)';
  if (process.env.CI === 'true') throw new Error(`CI requires redis-server for the ${tests}: ${reason}`);
  process.stderr.write(`\n*** SKIPPING ${tests}: ${reason} ***\n\n`);
  return reason;
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const server = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child = server;
    const reap = () => server.kill('SIGKILL');
    process.once('exit', reap);
    server.once('exit', () => process.off('exit', reap));
    const output: string[] = [];
    server.stdout!.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
    server.stderr!.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
    try {
      await waitFor(
        `redis-server on port ${port} to answer PING`,
        async () => {
          if (server.exitCode !== null || server.signalCode !== null)
            throw new Error(
              `redis-server on port ${port} exited (${server.exitCode ?? server.signalCode}):\n${output.join('')}`,
            );
          return answersPing(port);
        },
        { timeoutMs: 5000, intervalMs: 50, log: output },
      );
    } catch (error) {
      server.kill('SIGKILL');
      throw error;
    }
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    async stop() {
      const server = child;
      child = undefined;
      if (!server || server.exitCode !== null || server.signalCode !== null) return;
      const exited = once(server, 'exit');
      server.kill('SIGKILL');
      await exited;
    },
  };
}

/** Whether something on the port answers a Redis PING with +PONG. */
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
