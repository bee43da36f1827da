// `ocpp-edge proxy` as N cluster workers sharing its listening ports, the way PM2's cluster mode runs it
// (ecosystem.config.cjs: exec_mode 'cluster'): a primary forks the workers with node:cluster and, with Node's
// default policy on Linux, accepts connections and hands them to the workers in turn. Used by the bench to show
// what a second worker buys on a 2-core machine, where nginx runs one worker per core.
//
//   node dist/bench/cluster-proxy.js <workers> proxy [flags...]
//
// Workers print their own log lines (one "proxy listening" each) on the primary's stdout. SIGTERM stops them all.

import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../bin/ocpp-edge.js', import.meta.url));
const STOP_TIMEOUT_MS = 10_000;

async function main(): Promise<void> {
  const [count, ...args] = process.argv.slice(2);
  const workers = Number(count);
  if (!Number.isInteger(workers) || workers < 1 || args.length === 0) {
    process.stderr.write('usage: cluster-proxy.js <workers> proxy [flags...]\n');
    process.exit(2);
  }
  cluster.setupPrimary({ exec: CLI, args });
  let stopping = false;
  const forked: Worker[] = Array.from({ length: workers }, () => cluster.fork());
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    process.stderr.write(`cluster-proxy: worker ${worker.process.pid} exited (${code ?? signal})\n`);
    process.exit(1);
  });
  process.on('SIGTERM', () => {
    stopping = true;
    const exits = forked.filter((worker) => !worker.isDead()).map((worker) => once(worker, 'exit'));
    for (const worker of forked) worker.process.kill('SIGTERM');
    const timer = setTimeout(() => process.exit(1), STOP_TIMEOUT_MS);
    void Promise.all(exits).then(() => {
      clearTimeout(timer);
      process.exit(0);
    });
  });
}

await main();
