// `ocpp-edge upgrade` and `ocpp-edge rollback`: releases side by side in /opt/ocpp-edge/releases/<version>, the
// `current` link moved atomically to the new one (and `previous` to the one it left), then the services restarted
// on it. The configuration in /etc/ocpp-edge is never touched, so a rollback is the same move backwards.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseEnv, promisify } from 'node:util';
import { hostPath, HOST, SERVICE_USER, type Layout } from './layout.js';
import { linkTarget, swapLink } from './steps.js';
import { UNIT_NAMES } from './files.js';

const run = promisify(execFile);

/** Written last into a release directory: its node_modules are complete. */
const COMPLETE_MARKER = '.ocpp-edge-release';

export interface ReleaseOptions {
  layout: Layout;
  dryRun: boolean;
  out: (line: string) => void;
}

/** Releases kept after an upgrade, `current` and `previous` among them (`--keep`). */
export const DEFAULT_KEPT_RELEASES = 3;

/** The version in a release tarball's package.json (npm pack puts the package under package/). */
export async function tarballVersion(tarball: string): Promise<string> {
  const { stdout } = await run('tar', ['-xzOf', tarball, 'package/package.json'], { maxBuffer: 1024 * 1024 });
  const version = (JSON.parse(stdout) as { version?: unknown }).version;
  if (typeof version !== 'string' || !/^[0-9A-Za-z.+-]+$/.test(version))
    throw new Error(`${tarball}: package.json has no usable version`);
  return version;
}

export async function upgrade(tarball: string, options: ReleaseOptions, keep = DEFAULT_KEPT_RELEASES): Promise<void> {
  const { layout, dryRun, out } = options;
  const version = await tarballVersion(tarball);
  const release = path.join(layout.releasesDir, version);
  const shown = hostPath(layout, release);
  if (existsSync(path.join(release, COMPLETE_MARKER))) out(`  ok        ${shown}: already installed`);
  else if (dryRun) out(`  would     ${shown}: unpack ${tarball}, npm ci --omit=dev`);
  else await unpackRelease(tarball, release, out);

  if (!dryRun) await validateRelease(release, layout, out);
  else out(`  would     validate ${hostPath(layout, layout.configFile)} with ${version}`);
  await pointCurrentAt(version, options);
  await pruneReleases(options, keep);
}

/**
 * Deletes the oldest releases (by the time they were installed) beyond `keep`; never the ones `current` and
 * `previous` point at, so a rollback always has its release.
 */
async function pruneReleases(options: ReleaseOptions, keep: number): Promise<void> {
  const { layout, dryRun, out } = options;
  const pinned = new Set(
    [await linkTarget(layout.currentLink), await linkTarget(layout.previousLink)]
      .filter((target) => target !== undefined)
      .map((target) => path.basename(target)),
  );
  const releases: { name: string; installed: number }[] = [];
  for (const name of await readdir(layout.releasesDir).catch(() => [] as string[])) {
    if (name.endsWith('.partial')) continue;
    const marker = path.join(layout.releasesDir, name, COMPLETE_MARKER);
    if (existsSync(marker)) releases.push({ name, installed: (await stat(marker)).mtimeMs });
  }
  releases.sort((a, b) => b.installed - a.installed);
  let kept = releases.filter((release) => pinned.has(release.name)).length;
  for (const release of releases) {
    if (pinned.has(release.name)) continue;
    if (kept < keep) {
      kept++;
      continue;
    }
    const dir = path.join(layout.releasesDir, release.name);
    out(
      `  ${dryRun ? 'would' : 'removed'}${dryRun ? '    ' : '  '} ${hostPath(layout, dir)} (keeping ${keep} releases)`,
    );
    if (!dryRun) await rm(dir, { recursive: true, force: true });
  }
}

export async function rollback(options: ReleaseOptions): Promise<void> {
  const { layout, out } = options;
  const previous = await linkTarget(layout.previousLink);
  if (previous === undefined)
    throw new Error(`no previous release to go back to (${hostPath(layout, layout.previousLink)} does not exist)`);
  if (!existsSync(path.join(layout.optDir, previous, COMPLETE_MARKER)))
    throw new Error(`the previous release ${previous} is not installed completely`);
  out(`  rollback  to ${path.basename(previous)}`);
  await pointCurrentAt(path.basename(previous), options);
}

async function unpackRelease(tarball: string, release: string, out: (line: string) => void): Promise<void> {
  // Unpacked and installed beside its final place, renamed there when complete: an interrupted upgrade leaves no
  // half release under the version's name.
  const staging = `${release}.partial`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  out(`  unpack    ${tarball}`);
  await run('tar', ['-xzf', tarball, '-C', staging, '--strip-components=1', '--no-same-owner']);
  out('  install   npm ci --omit=dev (production dependencies; dist/ ships built, nothing is compiled)');
  await run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], {
    cwd: staging,
    maxBuffer: 16 * 1024 * 1024,
    timeout: 15 * 60_000,
  });
  await writeFile(path.join(staging, COMPLETE_MARKER), `${new Date().toISOString()}\n`);
  await rm(release, { recursive: true, force: true });
  await rename(staging, release);
}

/**
 * The new release's own `validate` on the installed configuration, with the variables of both environment files
 * (what the services will see), before anything is switched.
 */
async function validateRelease(release: string, layout: Layout, out: (line: string) => void): Promise<void> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
  for (const file of [layout.proxyEnv, layout.backendEnv])
    if (existsSync(file)) Object.assign(env, parseEnv(await readFile(file, 'utf8')));
  try {
    const { stdout } = await run(
      process.execPath,
      [path.join(release, 'dist', 'bin', 'ocpp-edge.js'), 'validate', '--config', layout.configFile],
      { timeout: 120_000, env },
    );
    out(`  validate  ${stdout.trim()}`);
  } catch (error) {
    const failure = error as { stderr?: string };
    throw new Error(
      `the new release rejects ${hostPath(layout, layout.configFile)}; nothing switched:\n${failure.stderr ?? error}`,
    );
  }
}

async function pointCurrentAt(version: string, options: ReleaseOptions): Promise<void> {
  const { layout, dryRun, out } = options;
  // Relative targets: the tree stays valid under a staging root and wherever /opt/ocpp-edge is mounted.
  const target = path.join('releases', version);
  const current = await linkTarget(layout.currentLink);
  if (current === target) {
    out(`  ok        ${hostPath(layout, layout.currentLink)} → ${target}`);
    return;
  }
  if (dryRun) {
    out(`  would     ${hostPath(layout, layout.currentLink)} → ${target} (was ${current ?? 'none'})`);
    await restartServices(options);
    return;
  }
  if (current !== undefined) await swapLink(layout.previousLink, current);
  await swapLink(layout.currentLink, target);
  out(`  switched  ${hostPath(layout, layout.currentLink)} → ${target} (previous: ${current ?? 'none'})`);
  await restartServices(options);
}

/** The services restarted on the release `current` points to now: systemd's units or PM2's apps, as installed. */
async function restartServices(options: ReleaseOptions): Promise<void> {
  const { layout, dryRun, out } = options;
  const systemd = existsSync(path.join(layout.systemdDir, UNIT_NAMES[1]));
  const pm2 = existsSync(layout.ecosystemFile);
  const commands: string[][] = [];
  // try-restart: only what runs (a first release is started by the install's next steps).
  if (systemd) commands.push(['systemctl', 'try-restart', ...UNIT_NAMES]);
  if (pm2)
    commands.push([
      'runuser',
      '-u',
      SERVICE_USER,
      '--',
      'pm2',
      'startOrReload',
      `${HOST.etcDir}/ecosystem.config.cjs`,
      '--env',
      'production',
      '--update-env',
    ]);
  for (const command of commands) {
    if (dryRun || layout.root !== '/') {
      out(`  ${dryRun ? 'would' : 'skip '}     ${command.join(' ')}${layout.root !== '/' ? ' (under --root)' : ''}`);
      continue;
    }
    out(`  restart   ${command.join(' ')}`);
    await run(command[0]!, command.slice(1), { timeout: 120_000 });
  }
}
