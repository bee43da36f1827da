// The nginx configuration the bench generates (bench/nginx.ts): the plan's Phase 2.5 site on loopback, accepted by
// `nginx -t` when nginx is installed.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createBenchCertificates } from '../../bench/certificates.js';
import { findNginx, nginxConfig, testNginxConfig, writeNginxSite, type NginxSite } from '../../bench/nginx.js';

function site(prefix: string, certFile = '/x/server.crt', keyFile = '/x/server.key'): NginxSite {
  return {
    prefix,
    httpsPort: 18443,
    httpPort: 18080,
    upstreamPort: 18081,
    certFile,
    keyFile,
    workerConnections: 19_000,
  };
}

describe('nginx configuration', () => {
  it('reaches the backend over its Unix socket when given one, in place of the loopback port', () => {
    const config = nginxConfig({ ...site('/tmp/bench-nginx'), upstreamSocket: '/tmp/bench/backend.sock' });
    assert.ok(config.includes('server unix:/tmp/bench/backend.sock;'), config);
    assert.ok(!config.includes('server 127.0.0.1:18081;'));
  });

  it("carries the plan's TLS, WebSocket and API settings on loopback ports", () => {
    const config = nginxConfig(site('/tmp/bench-nginx'));
    for (const line of [
      'worker_processes auto;',
      'listen 127.0.0.1:18443 ssl http2;',
      'server 127.0.0.1:18081;',
      'keepalive 64;',
      'ssl_protocols TLSv1.2 TLSv1.3;',
      'ssl_session_cache shared:SSL:10m;',
      'location /ocpp/ {',
      'proxy_set_header Upgrade $http_upgrade;',
      'proxy_read_timeout 3600s;',
      'proxy_send_timeout 3600s;',
      'location /api/ {',
      'pid /tmp/bench-nginx/nginx.pid;',
      'daemon off;',
    ]) {
      assert.ok(config.includes(line), `has ${line}`);
    }
    assert.ok(!/listen\s+(80|443)\b/.test(config), 'never the system ports');
    assert.ok(!config.includes('/var/log/nginx'), 'logs stay in the prefix');
  });

  it('is accepted by nginx -t', async (t) => {
    const binary = await findNginx();
    if (!binary) {
      t.skip('nginx is not installed (npm run bench installs it)');
      return;
    }
    const prefix = await mkdtemp(path.join(tmpdir(), 'ocpp-edge-bench-test-'));
    try {
      const certificates = await createBenchCertificates(prefix);
      const nginxSite = {
        ...site(prefix, certificates.certFile, certificates.keyFile),
        user: process.getuid?.() === 0 ? 'root' : undefined,
      };
      const file = await writeNginxSite(nginxSite);
      const result = await testNginxConfig(binary, nginxSite, file);
      assert.ok(result.ok, result.output);
      assert.match(result.output, /syntax is ok/);
    } finally {
      await rm(prefix, { recursive: true, force: true });
    }
  });
});
