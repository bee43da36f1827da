// What the operations tests share: where the source tree is (the YAML, unit and process files are not compiled
// into dist/) and how to find and run the external tools they check those files with.

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

/** The repository root, from this file's place in dist/test/ops/. */
export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

export function inRepo(...parts: string[]): string {
  return path.join(repoRoot, ...parts);
}

/** Absolute path of an executable found on PATH, or undefined. */
export function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

export interface ToolResult {
  code: number;
  output: string;
}

/** Runs a tool in the repository root; never throws for a non-zero exit (the caller asserts on it). */
export function runTool(file: string, args: readonly string[]): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: repoRoot, timeout: 60_000, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ code: error ? (error.code as number) : 0, output });
    });
  });
}

/** GitHub's anchors for the headings of a Markdown text: lower case, punctuation dropped, spaces to hyphens. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const match of markdown.matchAll(/^#{1,6}\s+(.+?)\s*$/gm)) {
    anchors.add(
      match[1]
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .trim()
        .replace(/\s/g, '-'),
    );
  }
  return anchors;
}

/** Where Debian's libjemalloc2 installs the library: x86_64, then arm64. */
export const JEMALLOC_PATHS = [
  '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
  '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2',
] as const;

export function installedJemalloc(): string | undefined {
  return JEMALLOC_PATHS.find((file) => existsSync(file));
}

/** Whether jemalloc is installed; outside CI a test is skipped with a message when it is not, in CI it fails. */
export function requireJemalloc(t: TestContext): boolean {
  if (installedJemalloc()) return true;
  const message = `libjemalloc2 is not installed (none of ${JEMALLOC_PATHS.join(', ')}): apt-get install libjemalloc2`;
  if (process.env.CI === 'true') assert.fail(`${message}; .ci/run must install it`);
  t.diagnostic(message);
  t.skip(message);
  return false;
}

/**
 * Starts node with `env` as its whole environment (besides PATH) and reads /proc/PID/maps once it runs: the shared
 * libraries it has mapped.
 */
export async function mappedLibraries(env: NodeJS.ProcessEnv): Promise<string[]> {
  return inIdleNode(env, async (pid) => {
    const maps = await readFile(`/proc/${pid}/maps`, 'utf8');
    return [
      ...new Set(
        maps
          .split('\n')
          .map((line) => line.split(/\s+/)[5] ?? '')
          .filter((file) => file.includes('.so')),
      ),
    ];
  });
}

/** The names of the threads of an idle node process started with `env` (/proc/PID/task/TID/comm). */
export async function threadNames(env: NodeJS.ProcessEnv): Promise<string[]> {
  return inIdleNode(env, async (pid) => {
    // jemalloc starts its background thread at its first arena's use: give it a moment, bounded.
    const deadline = Date.now() + 2000;
    let names: string[] = [];
    do {
      const tasks = await readdir(`/proc/${pid}/task`);
      names = await Promise.all(
        tasks.map(async (tid) => (await readFile(`/proc/${pid}/task/${tid}/comm`, 'utf8')).trim()),
      );
      if (names.includes('jemalloc_bg_thd')) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    } while (Date.now() < deadline);
    return names;
  });
}

/** Runs `read` on an idle node process started with `env`, then kills it. */
async function inIdleNode<T>(env: NodeJS.ProcessEnv, read: (pid: number) => Promise<T>): Promise<T> {
  const child = spawn(process.execPath, ['-e', "process.stdout.write('running\\n'); setInterval(() => {}, 1000)"], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`node exited (${code}) before running: ${stderr}`)));
      child.once('error', reject);
    });
    return await read(child.pid!);
  } finally {
    child.kill('SIGKILL');
  }
}
