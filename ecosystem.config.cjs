// PM2 process file: the proxy and the central system as two apps.
//
//   pm2 start ecosystem.config.cjs --env production     # 443/80, config/production.yaml
//   pm2 start ecosystem.config.cjs --env development    # 8443/8000, self-signed localhost, SQLite in ./data
//   pm2 reload ocpp-edge-proxy                          # new proxy first, then the old one drains: no refused connection
//   pm2 sendSignal SIGHUP ocpp-edge-proxy               # re-read certificates and configuration in place
//
// CommonJS (.cjs) because package.json says "type": "module" and PM2 loads process files with require().
// ecosystem.config.js re-exports this file for `pm2 start ecosystem.config.js` on Node >= 20.19.
//
// Both apps read config/production.yaml (or $OCPP_EDGE_CONFIG); every environment below only sets each process's
// own variables (OCPP_EDGE_PROXY_*, OCPP_EDGE_BACKEND_*), which take precedence over the file (flags > environment
// > file > defaults), and LD_PRELOAD for jemalloc (see JEMALLOC_PATHS).
//
// Secrets are not written here. Each app reads its own environment file when PM2 loads this file:
// /etc/ocpp-edge/proxy.env for the proxy and /etc/ocpp-edge/backend.env for the backend (OCPP_EDGE_ENV_DIR moves
// the directory), one VAR=value a line. The proxy never sees the backend's file, and `filter_env` keeps the
// backend's variables (DATABASE_URL with its password, OCPP_EDGE_BACKEND_API_TOKENS) out of the proxy even when
// the shell that runs `pm2 start` has them. Do not `source` the files into that shell. Switching an app to
// another --env needs `pm2 delete` first: PM2 keeps the variables it was started with.

'use strict';

const fs = require('node:fs');
const path = require('node:path');

/** The proxy's --drain-timeout in production.yaml (seconds): in-flight requests get this long on SIGINT. */
const DRAIN_TIMEOUT_S = 10;
/**
 * PM2 waits this long after SIGINT before SIGKILL: the drain (WebSockets exchange their close frames meanwhile),
 * up to 1 s more for the listeners to close (proxy/server.ts), the log flush, and a margin.
 */
const KILL_TIMEOUT_MS = (DRAIN_TIMEOUT_S + 10) * 1000;

const logDir = process.env.OCPP_EDGE_LOG_DIR || path.join(__dirname, 'logs');
const configFile = process.env.OCPP_EDGE_CONFIG || 'config/production.yaml';
const envDir = process.env.OCPP_EDGE_ENV_DIR || '/etc/ocpp-edge';

/**
 * One app's environment file (VAR=value lines, # comments, optional quotes), or nothing when it is absent. Read
 * here because PM2 has no per-app env file; what is read goes into that app's env alone.
 */
function envFile(name) {
  const file = path.join(envDir, name);
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (error.code === 'ENOENT') return {};
    throw new Error(`ecosystem.config.cjs: cannot read ${file}: ${error.code}`);
  }
  const variables = {};
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) throw new Error(`ecosystem.config.cjs: ${file}:${index + 1}: expected VAR=value`);
    variables[match[1]] = match[2].replace(/^(["'])(.*)\1$/, '$2');
  }
  return variables;
}

/**
 * jemalloc instead of glibc's malloc (Debian package libjemalloc2): after chargers reconnect in a wave, glibc's
 * heap is fragmented by the freed TLS connections and every read buffer and TLS record allocation walks long free
 * lists; docs/PERFORMANCE.md section 2 measured 9.0k msg/s with glibc and 19.3k with jemalloc on a proxy that had
 * just held 9,000 connections. The backend holds the same WebSockets and churns alike, so it gets it too.
 * LD_PRELOAD is set only when the library is on this machine (checked when PM2 loads this file; the x86_64 and
 * arm64 Debian paths), so PM2 still starts the apps, on glibc's malloc, where it is not installed.
 */
const JEMALLOC_PATHS = ['/usr/lib/x86_64-linux-gnu/libjemalloc.so.2', '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2'];
const jemalloc = JEMALLOC_PATHS.find((file) => fs.existsSync(file));
/**
 * jemalloc's settings: a background thread gives the pages freed after a wave of handshakes back to the kernel
 * after 1 s (jemalloc's default is 10 s, and without the thread only when the process allocates again, which an
 * idle proxy holding its chargers seldom does). docs/PERFORMANCE.md section 20: 5–14 MB less RSS with 2,000
 * connections held, on Node 20 and 24 alike; the same value as the systemd units and the bench
 * (bench/targets.ts DEPLOYMENT_MALLOC_CONF).
 */
const JEMALLOC_SETTINGS = 'background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0';
const allocator = jemalloc ? { LD_PRELOAD: jemalloc, MALLOC_CONF: JEMALLOC_SETTINGS } : {};

/** Settings both processes share. */
const common = {
  script: 'dist/bin/ocpp-edge.js',
  // The release directory. An installed host's process file (/etc/ocpp-edge/ecosystem.config.cjs, written by
  // `ocpp-edge install --pm2`) sets OCPP_EDGE_HOME to the /opt/ocpp-edge/current link, so that `pm2 reload` after
  // `ocpp-edge upgrade` runs the release the link points to now, not the one it pointed to at `pm2 start`.
  cwd: process.env.OCPP_EDGE_HOME || __dirname,
  // Crash loops back off: 100 ms, then 1.5 times longer at each restart up to PM2's cap of 15 s; back to 100 ms
  // once the app has stayed up for 30 s.
  autorestart: true,
  exp_backoff_restart_delay: 100,
  // Exit code 2 is an invalid configuration (common/command.ts): restarting cannot fix it, so stay stopped
  // and let `pm2 logs` show the one line that names the key.
  stop_exit_codes: [2],
  kill_timeout: KILL_TIMEOUT_MS,
  // How long PM2 waits for a started process to listen (or to send 'ready') before treating it as up.
  listen_timeout: 10000,
  // Logs are pino JSON lines on stdout; stderr only carries what escapes pino (a crash's stack trace).
  merge_logs: true,
  // No PM2 time prefix: every pino line already has an ISO "time" field, and a prefix would turn the files into
  // something jq and pino-pretty can no longer read line by line.
  time: false,
  env: { NODE_ENV: 'production', ...allocator },
  env_production: { NODE_ENV: 'production', ...allocator },
};

/** What one app must never inherit from the shell that runs `pm2 start` (PM2 drops names containing these). */
const BACKEND_ONLY = ['OCPP_EDGE_BACKEND_', 'DATABASE_URL', 'PGPASSWORD'];
const PROXY_ONLY = ['OCPP_EDGE_PROXY_'];
const proxyEnv = envFile('proxy.env');
const backendEnv = envFile('backend.env');

module.exports = {
  apps: [
    {
      ...common,
      name: 'ocpp-edge-proxy',
      args: ['proxy', '--config', configFile],
      filter_env: BACKEND_ONLY,
      env: { ...common.env, ...proxyEnv },
      env_production: { ...common.env_production, ...proxyEnv },
      // Cluster mode with one instance: the listening sockets belong to PM2, so `pm2 reload` starts the new
      // proxy on the same ports before the old one drains, and no connection is refused in between. More
      // instances work too (ACME takes a lock in the data dir), but each has its own /metrics. They share TLS
      // session tickets through tls-ticket-keys in config/production.yaml (a key file in the data dir): without
      // it a charger resuming its session on another worker than the one it came from gets a full handshake.
      // The same file keeps sessions resumable across `pm2 reload`.
      exec_mode: 'cluster',
      instances: 1,
      // The old instance is stopped once the new one says it is ready (process.send('ready')) or after
      // listen_timeout, whichever comes first.
      wait_ready: true,
      out_file: path.join(logDir, 'ocpp-edge-proxy.out.log'),
      error_file: path.join(logDir, 'ocpp-edge-proxy.err.log'),
      // Unprivileged ports and a self-signed certificate for localhost, as config/development.yaml.
      env_development: {
        NODE_ENV: 'development',
        OCPP_EDGE_PROXY_HTTPS_PORT: '8443',
        OCPP_EDGE_PROXY_HTTP_PORT: '8000',
        OCPP_EDGE_PROXY_TLS: 'self-signed',
        OCPP_EDGE_PROXY_DOMAIN: 'localhost',
        OCPP_EDGE_PROXY_DATA_DIR: './data',
        OCPP_EDGE_PROXY_TLS_TICKET_KEYS: './data/tls-ticket-keys',
        OCPP_EDGE_PROXY_LOG_LEVEL: 'debug',
        OCPP_EDGE_PROXY_UPSTREAMS: 'unix:./data/backend.sock',
      },
    },
    {
      ...common,
      name: 'ocpp-edge-backend',
      args: ['backend', '--config', configFile],
      filter_env: PROXY_ONLY,
      env: { ...common.env, ...backendEnv },
      env_production: { ...common.env_production, ...backendEnv },
      // One process holds every charger's WebSocket; several need Redis (--redis) and are started separately.
      exec_mode: 'fork',
      instances: 1,
      out_file: path.join(logDir, 'ocpp-edge-backend.out.log'),
      error_file: path.join(logDir, 'ocpp-edge-backend.err.log'),
      // 127.0.0.1:8080 and the Unix socket the proxy forwards to in every environment (from production.yaml);
      // SQLite, the socket in ./data and a development token.
      env_development: {
        NODE_ENV: 'development',
        OCPP_EDGE_BACKEND_DATABASE: 'sqlite:./data/ocpp.db',
        OCPP_EDGE_BACKEND_SOCKET: './data/backend.sock',
        OCPP_EDGE_BACKEND_API_TOKENS: 'dev-token',
        OCPP_EDGE_BACKEND_CORS_ORIGINS: 'http://localhost:3000,http://127.0.0.1:3000',
        OCPP_EDGE_BACKEND_LOG_LEVEL: 'debug',
      },
    },
  ],
};
