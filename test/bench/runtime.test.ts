// Issue 22: the bench names the runtime it measured (Node and OpenSSL versions, asked of the binary itself) and
// runs its Node targets on another Node binary with --node, so one run compares Node 20 and Node 24.

import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEchoBackend, type EchoBackend } from '../../bench/backend-echo.js';
import { createBenchCertificates, type BenchCertificates } from '../../bench/certificates.js';
import { stopProcess } from '../../bench/child-process.js';
import { markdownComparison, runtimeComparison, summarise, textComparison } from '../../bench/report.js';
import { describeForReport, describeRuntime, runtimeLabel } from '../../bench/runtime.js';
import { startTarget } from '../../bench/targets.js';
import { openWebSocket } from '../support/tls-clients.js';

describe('bench runtimes', () => {
  let directory: string;
  before(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'ocpp-edge-bench-runtime-'));
  });
  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('asks the binary for its Node, OpenSSL and V8 versions', async () => {
    const runtime = await describeRuntime(process.execPath);
    assert.equal(runtime.node, process.version);
    assert.equal(runtime.openssl, process.versions.openssl);
    assert.equal(runtime.v8, process.versions.v8);
    assert.equal(runtime.execPath, process.execPath);
    assert.equal(runtime.label, runtimeLabel(process.version));
    assert.match(describeForReport(runtime), new RegExp(`OpenSSL ${process.versions.openssl.replace(/\./g, '\\.')}`));
    assert.equal(runtimeLabel('v24.22.3'), 'Node 24.22');
  });

  it('refuses a --node that is not a working Node binary, naming it', async () => {
    const notNode = path.join(directory, 'not-node');
    await writeFile(notNode, '#!/bin/sh\nexit 3\n');
    await chmod(notNode, 0o755);
    await assert.rejects(describeRuntime(notNode), /--node .*not-node: not a Node binary/);
    await assert.rejects(describeRuntime(path.join(directory, 'missing')), /--node .*missing/);
  });

  describe('a Node target on another binary', () => {
    let certificates: BenchCertificates;
    let backend: EchoBackend;
    before(async () => {
      certificates = await createBenchCertificates(directory);
      backend = await startEchoBackend({ certFile: certificates.certFile, keyFile: certificates.keyFile });
    });
    after(async () => {
      await stopProcess(backend.process.child);
    });

    it('ocpp-edge and the floor are spawned with the given binary, and serve through it', async () => {
      // A "Node" that logs each start and then is this Node: the target must have been started through it.
      const marker = path.join(directory, 'started-with');
      const wrapper = path.join(directory, 'node-wrapper');
      await writeFile(
        wrapper,
        `#!/bin/sh\necho "$*" >> ${JSON.stringify(marker)}\nexec ${JSON.stringify(process.execPath)} "$@"\n`,
      );
      await chmod(wrapper, 0o755);
      for (const name of ['ocpp-edge', 'node-floor'] as const) {
        const target = await startTarget(name, {
          backendPort: backend.port,
          backendPid: backend.process.pid,
          directOcppUrl: `wss://127.0.0.1:${backend.tlsPort}/ocpp`,
          directApiUrl: undefined,
          certificates,
          nginxBinary: 'nginx',
          nodeBinary: wrapper,
        });
        try {
          const port = Number(new URL(target.ocppUrl).port);
          const socket = await openWebSocket(port, '/ocpp/CP-RUNTIME', 'ocpp1.6');
          socket.close();
        } finally {
          await target.stop();
        }
      }
      const starts = (await readFile(marker, 'utf8')).trim().split('\n');
      assert.equal(starts.length, 2);
      assert.match(starts[0]!, /ocpp-edge\.js proxy/);
      assert.match(starts[1]!, /floor-proxy\.js/);
    });
  });

  it('compares the Node targets across runtimes: a column per runtime and the last over the first', () => {
    const table = (edge: number, floor: number) =>
      summarise([
        { measurement: 'memory', unit: 'KB', runs: { 'ocpp-edge': [edge], 'node-floor': [floor], nginx: [50] } },
        { measurement: 'nginx only', unit: 'ms', runs: { nginx: [1] } },
      ]);
    const lines = runtimeComparison([
      { label: 'Node 20.20', lines: table(30, 29) },
      { label: 'Node 24.22', lines: table(48, 47) },
    ]);
    assert.equal(lines.length, 1, 'a row with no Node target is left out');
    assert.deepEqual(lines[0]!.values, { 'ocpp-edge': [30, 48], 'node-floor': [29, 47] });
    const markdown = markdownComparison(lines);
    assert.match(markdown, /\| ocpp-edge, Node 20\.20 \| ocpp-edge, Node 24\.22 \| Node 24\.22 \/ Node 20\.20 \|/);
    assert.match(markdown, /\| memory \(KB\) \| 30 \| 48 \| 1\.60× \| 29 \| 47 \| 1\.62× \|/);
    assert.match(textComparison(lines), /1\.60×/);
  });
});
