// The bench's cost readings (bench/process-stats.ts) against real processes: a child that burns CPU and holds
// memory is found under its parent, and its RSS and CPU time are read from /proc.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import {
  commandCpu,
  cpuGrowthMs,
  processTree,
  processTreeStats,
  readCpuMs,
  readRssBytes,
} from '../../bench/process-stats.js';

/** A node process named `title` (its /proc comm) that spins for `spinMs` of CPU, says so, then spins on command. */
async function namedSpinner(title: string, spinMs: number) {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `process.title = ${JSON.stringify(title)}; const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
       const spin = (ms) => { const end = cpu() + ms; while (cpu() < end); };
       spin(${spinMs}); console.log('ready');
       process.stdin.on('data', (data) => { spin(Number(data)); console.log('spun'); });`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  await once(child.stdout!, 'data');
  return child;
}

describe('process stats', () => {
  it('reads the RSS and CPU time of a process and its children', async () => {
    // Holds 50 MB and spins until it has used 300 ms of CPU (not of wall time: on a loaded machine a 300 ms
    // wall-clock spin may get half of that), then waits to be killed.
    const child = spawn(
      process.execPath,
      [
        '-e',
        'globalThis.held = Buffer.alloc(50e6, 1); const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }; while (cpu() < 300); console.log("ready"); setInterval(() => {}, 1000);',
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      await once(child.stdout!, 'data');
      const own = processTreeStats(child.pid!);
      assert.deepEqual(own.pids, [child.pid]);
      assert.ok(own.rssBytes > 50e6, `RSS ${own.rssBytes} holds the 50 MB buffer`);
      assert.ok(own.cpuMs >= 200, `CPU ${own.cpuMs} ms covers the 300 ms spin`);

      const tree = processTree(process.pid);
      assert.ok(tree.includes(child.pid!), 'the child is found under its parent');
      const all = processTreeStats(process.pid);
      assert.ok(all.rssBytes > own.rssBytes, 'the tree counts the parent too');
      assert.ok(all.cpuMs >= own.cpuMs);
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });

  it('returns nothing for a process that is gone', async () => {
    const child = spawn(process.execPath, ['-e', '0']);
    await once(child, 'exit');
    assert.equal(readRssBytes(child.pid!), undefined);
    assert.equal(readCpuMs(child.pid!), undefined);
    const stats = processTreeStats(child.pid!);
    assert.equal(stats.rssBytes, 0);
    assert.equal(stats.cpuMs, 0);
  });

  it('a command’s CPU between two readings: each process’s growth, a process that ended is never subtracted', async () => {
    // comm holds 15 characters: a name of this run's own, so no other process is counted.
    const title = `pst${process.pid}`.slice(0, 15);
    const leaving = await namedSpinner(title, 300);
    const staying = await namedSpinner(title, 50);
    try {
      const before = commandCpu(title);
      assert.deepEqual([...before.keys()].sort(), [leaving.pid, staying.pid].sort());
      leaving.kill('SIGKILL');
      await once(leaving, 'exit');
      staying.stdin!.write('200');
      await once(staying.stdout!, 'data');
      const after = commandCpu(title);
      assert.deepEqual([...after.keys()], [staying.pid]);
      const naive = [...after.values()].reduce((a, b) => a + b, 0) - [...before.values()].reduce((a, b) => a + b, 0);
      assert.ok(naive < 0, `summed totals went negative: ${naive} ms`);
      const grown = cpuGrowthMs(before, after);
      assert.ok(grown >= 150 && grown < 1000, `the staying process's 200 ms spin: ${grown} ms`);
      // A process started between the readings counts with all it used.
      const late = await namedSpinner(title, 100);
      try {
        assert.ok(cpuGrowthMs(after, commandCpu(title)) >= 80);
      } finally {
        late.kill('SIGKILL');
        await once(late, 'exit');
      }
    } finally {
      for (const child of [leaving, staying])
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
