// The shipped configuration files load through the same code the processes use (common/config.ts), with no
// unknown key, and say what their comments and docs/MIGRATION.md promise.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../../common/config.js';
import { backendOptions } from '../../backend/options.js';
import { proxyOptions } from '../../proxy/options.js';
import { inRepo } from '../support/ops-tools.js';

function loadProxy(file: string, env: NodeJS.ProcessEnv = {}) {
  return loadConfig(proxyOptions, { flags: { config: inRepo(file) }, section: 'proxy', env });
}

function loadBackend(file: string, env: NodeJS.ProcessEnv = {}) {
  return loadConfig(backendOptions, { flags: { config: inRepo(file) }, section: 'backend', env });
}

describe('config/production.yaml', () => {
  test("proxy: the plan's nginx site — 443/80, the backend's Unix socket as upstream, one domain, Let's Encrypt", () => {
    const proxy = loadProxy('config/production.yaml');
    assert.equal(proxy.host, undefined, 'listens on every interface, IPv4 and IPv6');
    assert.equal(proxy.httpsPort, 443);
    assert.equal(proxy.httpPort, 80);
    assert.deepEqual(proxy.upstream, ['unix:/var/lib/ocpp-edge/backend.sock']);
    assert.deepEqual(proxy.domain, ['yourdomain.com']);
    assert.equal(proxy.tls, 'acme');
    assert.equal(proxy.acmeStaging, false);
    assert.equal(proxy.acmeDirectory, 'https://acme-v02.api.letsencrypt.org/directory');
    assert.match(proxy.acmeEmail ?? '', /^[^@\s]+@yourdomain\.com$/);
    assert.equal(proxy.dataDir, '/var/lib/ocpp-edge');
  });

  test('proxy: one TLS session ticket key for every process, kept in the data dir (ssl_session_ticket_key)', () => {
    const proxy = loadProxy('config/production.yaml');
    assert.equal(proxy.tlsTicketKeys, '/var/lib/ocpp-edge/tls-ticket-keys');
  });

  test("proxy: the plan's timeouts — WebSockets idle for an hour, a bounded drain", () => {
    const proxy = loadProxy('config/production.yaml');
    assert.equal(proxy.wsIdleTimeout, 3600, 'proxy_read_timeout / proxy_send_timeout 3600s on /ocpp/');
    assert.equal(proxy.headerTimeout, 10);
    assert.equal(
      proxy.tlsHandshakeTimeout,
      60,
      'nginx ssl_handshake_timeout: a boot storm is not cut at the header timeout',
    );
    assert.equal(proxy.drainTimeout, 10);
    assert.equal(proxy.trustProxy, false);
  });

  test('proxy and backend: a listen backlog a boot storm does not overflow (nginx listen … backlog=)', () => {
    assert.equal(loadProxy('config/production.yaml').listenBacklog, 4096);
    assert.equal(loadBackend('config/production.yaml').listenBacklog, 4096);
  });

  test('proxy: metrics stay on loopback where config/prometheus.yml scrapes them', () => {
    const proxy = loadProxy('config/production.yaml');
    assert.equal(proxy.metricsHost, '127.0.0.1');
    assert.equal(proxy.metricsPort, 9464);
  });

  test("backend: the plan's uvicorn --host 127.0.0.1 --port 8080, and the socket that is the proxy's upstream", () => {
    const backend = loadBackend('config/production.yaml');
    const proxy = loadProxy('config/production.yaml');
    assert.equal(backend.host, '127.0.0.1');
    assert.equal(backend.port, 8080);
    assert.deepEqual(proxy.upstream, [`unix:${backend.socket}`]);
    // In the state directory, which both processes may write under systemd and PM2.
    assert.equal(path.dirname(backend.socket ?? ''), proxy.dataDir);
    assert.equal(backend.heartbeatInterval, 300);
    assert.deepEqual(backend.corsOrigin, ['https://yourdomain.com']);
    assert.deepEqual(backend.apiToken, [], 'no token in the file: they come from OCPP_EDGE_API_TOKENS');
    assert.equal(backend.database, 'sqlite:/var/lib/ocpp-edge/ocpp.db');
  });

  test("backend: secrets from the service's environment file win over the file", () => {
    const backend = loadBackend('config/production.yaml', {
      DATABASE_URL: 'postgres://ocpp:secret@127.0.0.1:5432/ocpp_db',
      OCPP_EDGE_API_TOKENS: 'token-one,token-two',
      REDIS_URL: 'redis://127.0.0.1:6379',
    });
    assert.equal(backend.database, 'postgres://ocpp:secret@127.0.0.1:5432/ocpp_db');
    assert.deepEqual(backend.apiToken, ['token-one', 'token-two']);
    assert.equal(backend.redis, 'redis://127.0.0.1:6379');
  });
});

describe('config/development.yaml', () => {
  test('proxy: unprivileged ports, self-signed localhost, state in ./data', () => {
    const proxy = loadProxy('config/development.yaml');
    assert.equal(proxy.httpsPort, 8443);
    assert.equal(proxy.httpPort, 8000);
    assert.ok(proxy.httpsPort >= 1024 && proxy.httpPort >= 1024, 'no privilege needed');
    assert.equal(proxy.metricsPort, 9464);
    assert.deepEqual(proxy.upstream, ['http://127.0.0.1:8080']);
    assert.deepEqual(proxy.domain, ['localhost']);
    assert.equal(proxy.tls, 'self-signed');
    assert.equal(proxy.dataDir, './data');
    assert.equal(proxy.wsIdleTimeout, 3600);
    assert.equal(proxy.drainTimeout, 10);
  });

  test('backend: 127.0.0.1:8080, SQLite in ./data, a development token', () => {
    const backend = loadBackend('config/development.yaml');
    assert.equal(backend.host, '127.0.0.1');
    assert.equal(backend.port, 8080);
    assert.equal(backend.database, 'sqlite:./data/ocpp.db');
    assert.deepEqual(backend.apiToken, ['dev-token']);
    assert.deepEqual(backend.corsOrigin, ['http://localhost:3000', 'http://127.0.0.1:3000']);
  });
});
