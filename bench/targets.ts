// The three things a charger can talk to in the bench, each in front of the same backend:
//
//   ocpp-edge  `ocpp-edge proxy` spawned through the CLI: one Node process (no cluster workers), TLS with the
//              bench certificate from files, access log lines on stdout (read and dropped by the bench).
//   ocpp-edge-x2  the same as 2 cluster workers (cluster-proxy.ts, what PM2's cluster mode runs): where the
//              targets allow workers (throughput, HTTPS req/s), this is the configuration held to them.
//   nginx      Debian's nginx with the plan's Phase 2.5 site (nginx.ts): a master and `worker_processes auto`
//              workers (one per core), access log to a file.
//   node-floor the least any Node proxy does (floor-proxy.ts): node:tls with the same TLS settings and a byte pipe
//              to the backend for WebSockets; Node's HTTPS server and HTTP client for /api/. Nothing else. Its cost
//              against nginx's is the part of ocpp-edge's gap that is Node's.
//   direct     no proxy: the chargers reach the backend itself. Against the echo backend that is WSS to a Node
//              process terminating TLS (no proxy hop at all); against the central system it is
//              plain ws, since `ocpp-edge backend` does not terminate TLS.
//
// What is measured of a target is its own process tree (RSS, CPU): the proxy's processes, or for direct the
// backend's.

import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchCertificates } from './certificates.js';
import { freePort } from '../test/support/ports.js';
import { EPHEMERAL_PROXY_PORTS } from '../test/support/proxy-process.js';
import { startProcess, stopProcess } from './child-process.js';
import { aptInstall } from './debian-packages.js';
import { startNginx } from './nginx.js';

export type TargetName = 'ocpp-edge' | 'ocpp-edge-x2' | 'nginx' | 'node-floor' | 'direct';
export const TARGET_NAMES: readonly TargetName[] = ['ocpp-edge', 'ocpp-edge-x2', 'nginx', 'node-floor', 'direct'];

/** Cluster workers of the ocpp-edge-x2 target: one per core, as nginx's `worker_processes auto`. */
const CLUSTER_WORKERS = 2;

export const OCPP_EDGE_CLI = fileURLToPath(new URL('../bin/ocpp-edge.js', import.meta.url));
const CLUSTER_PROXY = fileURLToPath(new URL('./cluster-proxy.js', import.meta.url));
const FLOOR_PROXY = fileURLToPath(new URL('./floor-proxy.js', import.meta.url));

export interface Target {
  name: TargetName;
  /** How it runs (processes, workers), for the report. */
  description: string;
  /** Chargers connect to `${ocppUrl}/<id>`. */
  ocppUrl: string;
  /** HTTPS URL of an /api/ resource (undefined where there is none, e.g. direct to the central system). */
  apiUrl: string | undefined;
  /** Root of the process tree whose RSS and CPU are the target's cost. */
  pid: number;
  /** Undefined while the target runs; why it is gone otherwise (exit code and the tail of its stderr). */
  failure(): string | undefined;
  stop(): Promise<void>;
}

export interface TargetSetup {
  /** Plain HTTP/WS port of the backend (the proxies' upstream). */
  backendPort: number;
  /** The backend's Unix socket: ocpp-edge and nginx use it as their upstream instead of the port. */
  backendSocket?: string;
  backendPid: number;
  /** For direct: the backend's own URL for chargers, and its API URL. */
  directOcppUrl: string;
  directApiUrl: string | undefined;
  certificates: BenchCertificates;
  nginxBinary: string;
  /** The Node binary the Node targets (ocpp-edge, ocpp-edge-x2, node-floor) run on: --node, else this one. */
  nodeBinary?: string;
}

export async function startTarget(name: TargetName, setup: TargetSetup): Promise<Target> {
  switch (name) {
    case 'ocpp-edge':
      return startOcppEdge(setup, 1);
    case 'ocpp-edge-x2':
      return startOcppEdge(setup, CLUSTER_WORKERS);
    case 'nginx':
      return startNginxTarget(setup);
    case 'node-floor':
      return startFloorProxy(setup);
    case 'direct':
      return {
        name,
        description: 'no proxy; figures are the backend process itself',
        ocppUrl: setup.directOcppUrl,
        apiUrl: setup.directApiUrl,
        pid: setup.backendPid,
        failure: () => (isAlive(setup.backendPid) ? undefined : 'the backend exited'),
        stop: async () => {},
      };
  }
}

async function startOcppEdge(setup: TargetSetup, workers: number): Promise<Target> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'ocpp-edge-bench-proxy-'));
  const nodeArgs = benchNodeArgs();
  const launcher = workers === 1 ? [OCPP_EDGE_CLI] : [CLUSTER_PROXY, String(workers)];
  let listening = 0;
  const started = await startProcess(
    setup.nodeBinary ?? process.execPath,
    [
      ...nodeArgs,
      ...launcher,
      'proxy',
      ...EPHEMERAL_PROXY_PORTS,
      '--cert',
      setup.certificates.certFile,
      '--key',
      setup.certificates.keyFile,
      '--upstream',
      setup.backendSocket ? `unix:${setup.backendSocket}` : `http://127.0.0.1:${setup.backendPort}`,
      '--data-dir',
      dataDir,
      '--log-level',
      'info',
      // The plan's nginx site has no limit_req: with the API rate limit (50 a second per address, issue 17) wrk's
      // load from one address was answered 429, and d. measured refusals and reconnects, not forwarding.
      '--limit-api-rate',
      '0',
    ],
    // Every worker says it is listening (on the same shared ports).
    {
      isReady: (line) => line.msg === 'proxy listening' && ++listening === workers,
      env: { ...process.env, ...proxyEnvironment() },
    },
  );
  const port = Number(started.ready.httpsPort);
  const preload = proxyPreload();
  const mallocConf = proxyMallocConf();
  const allocator = preload
    ? `, with jemalloc (LD_PRELOAD=${preload}${mallocConf ? `, MALLOC_CONF=${mallocConf}` : ''}) as ecosystem.config.cjs and the systemd unit run it`
    : ', glibc malloc';
  return {
    name: workers === 1 ? 'ocpp-edge' : 'ocpp-edge-x2',
    description:
      (workers === 1
        ? '`ocpp-edge proxy`, 1 Node process (no cluster workers)'
        : `\`ocpp-edge proxy\` as ${workers} node:cluster workers behind a primary that hands out connections round robin (what PM2's cluster mode runs, \`instances: ${workers}\`)`) +
      allocator +
      ", the API rate limit off (`--limit-api-rate 0`: the plan's nginx site has no limit_req)",
    ocppUrl: `wss://127.0.0.1:${port}/ocpp`,
    apiUrl: `https://127.0.0.1:${port}/api/bench`,
    pid: started.pid,
    failure: () =>
      started.child.exitCode === null && started.child.signalCode === null
        ? undefined
        : `exited (${started.child.exitCode ?? started.child.signalCode}): ${started.stderr()}`,
    stop: async () => {
      await stopProcess(started.child);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function startFloorProxy(setup: TargetSetup): Promise<Target> {
  const started = await startProcess(
    setup.nodeBinary ?? process.execPath,
    [
      ...benchNodeArgs(),
      FLOOR_PROXY,
      '--cert',
      setup.certificates.certFile,
      '--key',
      setup.certificates.keyFile,
      '--upstream-port',
      String(setup.backendPort),
    ],
    // The same allocator and mode as ocpp-edge: the two differ only in what the proxy does.
    { isReady: (line) => line.msg === 'floor listening', env: { ...process.env, ...proxyEnvironment() } },
  );
  const port = Number(started.ready.port);
  const apiPort = Number(started.ready.apiPort);
  return {
    name: 'node-floor',
    description:
      'bench/floor-proxy.ts, 1 Node process with the same allocator and TLS settings as ocpp-edge: for WebSockets node:tls and a byte pipe to the backend, ' +
      "for HTTPS Node's HTTPS server and HTTP client (keep-alive), nothing else",
    ocppUrl: `wss://127.0.0.1:${port}/ocpp`,
    apiUrl: `https://127.0.0.1:${apiPort}/api/bench`,
    pid: started.pid,
    failure: () =>
      started.child.exitCode === null && started.child.signalCode === null
        ? undefined
        : `exited (${started.child.exitCode ?? started.child.signalCode}): ${started.stderr()}`,
    stop: () => stopProcess(started.child),
  };
}

/** OCPP_EDGE_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles ocpp-edge and the floor during a run. */
function benchNodeArgs(): string[] {
  return (process.env.OCPP_EDGE_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
}

/** Where Debian's libjemalloc2 puts the library, as ecosystem.config.cjs looks for it. */
const JEMALLOC_PATHS = ['/usr/lib/x86_64-linux-gnu/libjemalloc.so.2', '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2'];

/**
 * The allocator the proxy runs with: jemalloc, as the deployment files preload it, when the library is installed
 * (run.ts installs libjemalloc2 when missing). OCPP_EDGE_BENCH_PROXY_LD_PRELOAD overrides it: another library, or
 * `none` for glibc's malloc (the allocator comparison in docs/PERFORMANCE.md).
 */
export function proxyPreload(): string | undefined {
  const chosen = process.env.OCPP_EDGE_BENCH_PROXY_LD_PRELOAD;
  if (chosen === 'none') return undefined;
  return chosen || JEMALLOC_PATHS.find((file) => existsSync(file));
}

/**
 * jemalloc's settings in the deployment files (ecosystem.config.cjs, the systemd units), which the bench runs the
 * proxy with: a background thread returns freed pages of an idle process to the kernel, after 1 s rather than
 * jemalloc's 10 s, so the pages a wave of handshakes freed do not stay resident (docs/PERFORMANCE.md section 20).
 */
export const DEPLOYMENT_MALLOC_CONF = 'background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0';

/** OCPP_EDGE_BENCH_PROXY_MALLOC_CONF overrides the deployment's MALLOC_CONF, `none` runs jemalloc's defaults. */
function proxyMallocConf(): string | undefined {
  const chosen = process.env.OCPP_EDGE_BENCH_PROXY_MALLOC_CONF;
  if (chosen === 'none') return undefined;
  return chosen || DEPLOYMENT_MALLOC_CONF;
}

/** The proxy's environment: JSON logs, production mode, and the allocator of proxyPreload() with its settings. */
function proxyEnvironment(): NodeJS.ProcessEnv {
  const preload = proxyPreload();
  const mallocConf = proxyMallocConf();
  const env: NodeJS.ProcessEnv = { OCPP_EDGE_LOG_PRETTY: '0', NODE_ENV: 'production' };
  if (preload) env.LD_PRELOAD = preload;
  if (preload && mallocConf) env.MALLOC_CONF = mallocConf;
  return env;
}

/** Installs Debian's libjemalloc2 when no jemalloc is there and none was chosen, as the deployment expects it. */
export async function ensureJemalloc(log: (line: string) => void): Promise<void> {
  if (process.env.OCPP_EDGE_BENCH_PROXY_LD_PRELOAD || JEMALLOC_PATHS.some((file) => existsSync(file))) return;
  await aptInstall('libjemalloc2', log);
}

async function startNginxTarget(setup: TargetSetup): Promise<Target> {
  const prefix = await mkdtemp(path.join(tmpdir(), 'ocpp-edge-bench-nginx-'));
  const [httpsPort, httpPort] = [await freePort(), await freePort()];
  const nginx = await startNginx(setup.nginxBinary, {
    prefix,
    httpsPort,
    httpPort,
    upstreamPort: setup.backendPort,
    upstreamSocket: setup.backendSocket,
    certFile: setup.certificates.certFile,
    keyFile: setup.certificates.keyFile,
    workerConnections: 19_000,
    user: process.getuid?.() === 0 ? 'root' : undefined,
  });
  return {
    name: 'nginx',
    description: 'nginx, a master and `worker_processes auto` workers',
    ocppUrl: `wss://127.0.0.1:${httpsPort}/ocpp`,
    apiUrl: `https://127.0.0.1:${httpsPort}/api/bench`,
    pid: nginx.pid,
    failure: () =>
      nginx.child.exitCode === null && nginx.child.signalCode === null
        ? undefined
        : `nginx exited (${nginx.child.exitCode ?? nginx.child.signalCode})`,
    stop: async () => {
      await nginx.stop();
      await rm(prefix, { recursive: true, force: true });
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
