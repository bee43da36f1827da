// common/filesystem-metrics.ts: the free and total bytes of the filesystems holding the watched directories, read
// at each scrape through the real metrics listener and compared with what df(1) reports for the same directories.
// A directory that does not exist yet is measured on the filesystem that will hold it.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { Registry } from 'prom-client';
import { registerFilesystemMetrics } from '../../common/filesystem-metrics.js';
import { createRegistry, startMetricsServer } from '../../common/metrics.js';
import { metricValue } from '../support/proxy-under-test.js';

const run = promisify(execFile);

/** df's size and available bytes of the filesystem holding `dir` (GNU coreutils). */
async function df(dir: string): Promise<{ size: number; avail: number }> {
  const { stdout } = await run('df', ['-B1', '--output=size,avail', dir]);
  const [size, avail] = stdout.trim().split('\n')[1]!.trim().split(/\s+/).map(Number);
  return { size: size!, avail: avail! };
}

describe('filesystem metrics', () => {
  let dir: string;
  let registry: Registry;
  let server: Server;
  const shm = '/dev/shm';

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-fs-'));
    registry = createRegistry('test');
    registerFilesystemMetrics(registry, [
      { purpose: 'data', path: dir },
      { purpose: 'database', path: path.join(dir, 'not', 'created', 'yet') },
      { purpose: 'logs', path: shm },
    ]);
    server = await startMetricsServer(registry, { host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const scrape = async () => (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`)).text();

  test('size and available bytes per watched directory, as df reports them', async () => {
    const text = await scrape();
    for (const [purpose, watched, measured] of [
      ['data', dir, dir],
      ['logs', shm, shm],
    ] as const) {
      const expected = await df(measured);
      const labels = { purpose, path: watched, process: 'test' };
      assert.equal(metricValue(text, 'ocpp_edge_filesystem_size_bytes', labels), expected.size, `${purpose} size`);
      const avail = metricValue(text, 'ocpp_edge_filesystem_avail_bytes', labels);
      assert.ok(avail !== undefined, `${purpose} avail exported`);
      // Others write to /tmp meanwhile: equal to df's within 64 MiB.
      assert.ok(Math.abs(avail - expected.avail) < 64 * 1024 * 1024, `${purpose}: ${avail} vs df ${expected.avail}`);
    }
  });

  test('a directory not created yet is measured on the filesystem that will hold it', async () => {
    const text = await scrape();
    const labels = { purpose: 'database', path: path.join(dir, 'not', 'created', 'yet') };
    assert.equal(metricValue(text, 'ocpp_edge_filesystem_size_bytes', labels), (await df(dir)).size);
  });

  test('read at each scrape: space taken shows at the next one', async (t) => {
    const labels = { purpose: 'logs', path: shm };
    const before = metricValue(await scrape(), 'ocpp_edge_filesystem_avail_bytes', labels)!;
    const file = path.join(shm, `ocpp-edge-fs-test-${process.pid}`);
    // 32 MiB on the tmpfs (its blocks are taken at once, unlike a sparse file on disk).
    const size = 32 * 1024 * 1024;
    if (before < 4 * size) {
      t.skip(`/dev/shm has only ${before} bytes free`);
      return;
    }
    try {
      await writeFile(file, Buffer.alloc(size, 1));
      const after = metricValue(await scrape(), 'ocpp_edge_filesystem_avail_bytes', labels)!;
      assert.ok(before - after >= size * 0.9, `avail fell by ${before - after} after writing ${size} bytes`);
    } finally {
      await rm(file, { force: true });
    }
  });
});
