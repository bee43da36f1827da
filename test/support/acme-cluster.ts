// `node acme-cluster.js proxy ...flags`: the ocpp-edge CLI in N cluster workers sharing their listening ports,
// which is what PM2 cluster mode does. Used to prove that workers ordering at the same moment place one order.

import cluster from 'node:cluster';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const workers = Number(process.env.OCPP_EDGE_TEST_WORKERS ?? 2);
const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/ocpp-edge.js');

const args = process.argv.slice(2);
// `node --test dist/test/` loads every file under test/, this one too, without arguments: do nothing then.
if (args.length > 0) {
  cluster.setupPrimary({ exec: cli, args });
  for (let index = 0; index < workers; index += 1) cluster.fork();
}

let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
  for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
});
cluster.on('exit', () => {
  if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(stopping ? 0 : 1);
});
