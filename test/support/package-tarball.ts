// The project as an operator receives it: `npm pack`'s tarball, and what npm needs to install it on this machine
// without the internet (the registry's packages from npm's cache, better-sqlite3's native module from a local
// prebuild of the same version for this Node instead of a download from GitHub).

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { inRepo, repoRoot } from './ops-tools.js';

const run = promisify(execFile);

/** package.json's version: what `--version` prints and the tarball's name carries. */
export const PACKAGE_VERSION = (JSON.parse(readFileSync(inRepo('package.json'), 'utf8')) as { version: string })
  .version;

/**
 * `npm pack` of the built tree (dist/ and dist/console as the test run built them) into `dir`; returns the
 * tarball's path. The lifecycle's build is left out (--ignore-scripts): rebuilding the console while other tests
 * serve it would race them. Its prepack and postpack (the lock file shipped as npm-shrinkwrap.json) are run here.
 */
export async function packProject(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  // prepack writes npm-shrinkwrap.json into the repository and postpack removes it: test files that pack at the
  // same time (the runner's concurrency) take turns, or one would pack without it.
  await withPackLock(async () => {
    await npm(['run', '--silent', 'prepack'], repoRoot);
    try {
      await npm(['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], repoRoot);
    } finally {
      await npm(['run', '--silent', 'postpack'], repoRoot);
    }
  });
  const tarball = (await readdir(dir)).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack wrote no tarball into ${dir}`);
  return path.join(dir, tarball);
}

/** A lock between test processes: a directory created atomically, taken over when its owner has died. */
async function withPackLock(task: () => Promise<void>): Promise<void> {
  const lock = path.join(repoRoot, 'dist', '.pack-lock');
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(await readFile(path.join(lock, 'pid'), 'utf8').catch(() => '0'));
      if (owner > 0 && !isAlive(owner)) await rm(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`${lock} still held by process ${owner} after 5 minutes`);
      else await sleep(200);
    }
  }
  try {
    await task();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * prebuild-install's name for better-sqlite3's native module on this Node (name-vVERSION-node-vABI-PLATFORM-ARCH),
 * archived from the build in the project's node_modules into `dir`; returns the environment that makes the
 * install use it (npm_config_<package>_local_prebuilds) instead of downloading or compiling.
 */
export async function betterSqlitePrebuild(dir: string): Promise<NodeJS.ProcessEnv> {
  const module = inRepo('node_modules', 'better-sqlite3');
  const { version } = JSON.parse(readFileSync(path.join(module, 'package.json'), 'utf8')) as { version: string };
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  await mkdir(dir, { recursive: true });
  await run('tar', ['-czf', path.join(dir, name), '-C', module, 'build/Release/better_sqlite3.node']);
  return { npm_config_better_sqlite3_local_prebuilds: dir };
}

/** Runs npm (the one on PATH, as an operator would) in `cwd`; rejects with its output when it fails. */
export async function npm(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const { stdout } = await run('npm', args, {
      cwd,
      env: {
        ...process.env,
        ...env,
        npm_config_audit: 'false',
        npm_config_fund: 'false',
        npm_config_update_notifier: 'false',
      },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 600_000,
    });
    return stdout;
  } catch (error) {
    const failure = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`npm ${args.join(' ')} failed in ${cwd}: ${failure.message}\n${failure.stdout}\n${failure.stderr}`);
  }
}
