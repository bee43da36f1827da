// --listen-backlog (issue 7, boot storms): both processes listen with the backlog asked for, 4,096 by default
// instead of Node's 511, and say so when the kernel caps it. The kernel's own view of each listening socket
// (`ss`: Send-Q of a LISTEN socket is its backlog) is what is checked.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { effectiveBacklog, kernelBacklogCap } from '../../common/listen-backlog.js';
import { startTestBackend } from '../support/backend-instance.js';
import { startProxyUnderTest } from '../support/proxy-under-test.js';
import { createStorage } from '../support/storage-targets.js';

/** The backlog the kernel gives the socket listening on 127.0.0.1:port. */
function kernelBacklog(port: number): number {
  const output = execFileSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' }).trim();
  const [state, , sendQueue] = output.split(/\s+/);
  assert.equal(state, 'LISTEN', `ss found no listener on port ${port}: ${JSON.stringify(output)}`);
  return Number(sendQueue);
}

// Linux: the kernel lowers any backlog above net.core.somaxconn to it.
const somaxconn = kernelBacklogCap();
const defaultBacklog = Math.min(4096, somaxconn ?? 4096);

describe('listen backlog', () => {
  test("the proxy listens with a backlog of 4,096 by default (or the kernel's cap), not Node's 511", async () => {
    const edge = await startProxyUnderTest({ tls: 'self-signed' });
    try {
      const expected = defaultBacklog;
      assert.equal(kernelBacklog(edge.proxy.httpsPort), expected);
      assert.equal(kernelBacklog(edge.proxy.httpPort), expected);
      assert.equal(edge.logs.matching((line) => line.msg === 'proxy listening')[0]?.listenBacklog, expected);
    } finally {
      await edge.close();
    }
  });

  test("--listen-backlog sets the proxy's HTTPS and HTTP backlogs", async () => {
    const edge = await startProxyUnderTest({ tls: 'self-signed', 'listen-backlog': 1000 });
    try {
      assert.equal(kernelBacklog(edge.proxy.httpsPort), 1000);
      assert.equal(kernelBacklog(edge.proxy.httpPort), 1000);
    } finally {
      await edge.close();
    }
  });

  test("a backlog above the kernel's cap gets the cap, and a warning that says how to raise it", async (t) => {
    if (somaxconn === undefined || somaxconn >= 65535)
      return t.skip(`net.core.somaxconn is ${somaxconn}: nothing above it to ask for`);
    const edge = await startProxyUnderTest({ tls: 'self-signed', 'listen-backlog': 65535 });
    try {
      assert.equal(kernelBacklog(edge.proxy.httpsPort), somaxconn);
      const warning = edge.logs.matching(
        (line) => line.level === 40 && /listen-backlog 65535 is capped/.test(String(line.msg)),
      );
      assert.equal(warning.length, 1);
      assert.match(String(warning[0]!.msg), /net\.core\.somaxconn=65535/);
    } finally {
      await edge.close();
    }
  });

  test('the backend listens with --listen-backlog, 4,096 by default', async (t) => {
    for (const flags of [{}, { 'listen-backlog': 1500 }]) {
      const storage = (await createStorage('sqlite', t))!;
      const lines: Array<Record<string, unknown>> = [];
      const backend = await startTestBackend(
        { database: storage.url, 'log-level': 'info', ...flags },
        { logLines: lines },
      );
      try {
        const expected = 'listen-backlog' in flags ? 1500 : defaultBacklog;
        assert.equal(kernelBacklog(backend.handle.port), expected);
        assert.equal(lines.find((line) => line.msg === 'backend listening')?.listenBacklog, expected);
      } finally {
        await backend.stop();
        await storage.cleanup();
      }
    }
  });

  test("effectiveBacklog reads the cap from the kernel's file and warns only above it", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ocpp-edge-somaxconn-'));
    try {
      const file = path.join(dir, 'somaxconn');
      writeFileSync(file, '128\n');
      const cap = kernelBacklogCap(file);
      assert.equal(cap, 128);
      assert.deepEqual(effectiveBacklog(100, cap), { backlog: 100 });
      const capped = effectiveBacklog(4096, cap);
      assert.equal(capped.backlog, 128);
      assert.match(capped.warning!, /^listen-backlog 4096 is capped at 128 by the kernel \(net\.core\.somaxconn\)/);
      assert.equal(kernelBacklogCap(path.join(dir, 'missing')), undefined);
      assert.deepEqual(effectiveBacklog(4096, undefined), { backlog: 4096 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
