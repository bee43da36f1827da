// `ocpp-edge upgrade TARBALL` and `ocpp-edge rollback` into a staging root: each release unpacked into
// /opt/ocpp-edge/releases/<version> and installed with `npm ci --omit=dev`, `current` switched to it and `previous`
// to the one it left, the installed configuration validated by the new release before anything moves, and the
// way back in one command. The tarballs are this project's `npm pack`, the second with its version bumped.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { cleanEnvironment, runCli } from '../../support/cli.js';
import { betterSqlitePrebuild, PACKAGE_VERSION, packProject } from '../../support/package-tarball.js';

const run = promisify(execFile);

/** The same package under another version (package.json and the shipped lock), re-tarred as npm pack lays it out. */
async function withVersion(tarball: string, version: string, dir: string): Promise<string> {
  const work = path.join(dir, `repack-${version}`);
  await mkdir(work, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', work]);
  for (const name of ['package.json', 'npm-shrinkwrap.json']) {
    const file = path.join(work, 'package', name);
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as {
      version: string;
      packages?: Record<string, { version?: string }>;
    };
    manifest.version = version;
    if (manifest.packages?.['']) manifest.packages[''].version = version;
    await writeFile(file, JSON.stringify(manifest, null, 2));
  }
  const repacked = path.join(dir, `ocpp-edge-${version}.tgz`);
  await run('tar', ['-czf', repacked, '-C', work, 'package']);
  return repacked;
}

describe('ocpp-edge upgrade and rollback', () => {
  let dir: string;
  let root: string;
  let first: string;
  let second: string;
  let env: NodeJS.ProcessEnv;
  const SECOND_VERSION = `${PACKAGE_VERSION}-upgrade.1`;
  const link = (name: string) => readlink(path.join(root, 'opt/ocpp-edge', name)).catch(() => undefined);
  const cli = async (...args: string[]) => {
    const result = await runCli([...args, '--root', root], { env, timeoutMs: 600_000 });
    return { ...result, output: `${result.stdout}${result.stderr}` };
  };
  const currentVersion = async () =>
    (
      await run(process.execPath, [path.join(root, 'opt/ocpp-edge/current/dist/bin/ocpp-edge.js'), '--version'])
    ).stdout.trim();

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-releases-'));
    root = path.join(dir, 'root');
    first = await packProject(path.join(dir, 'pack'));
    second = await withVersion(first, SECOND_VERSION, dir);
    // npm from its cache, better-sqlite3 from a local prebuild: nothing downloaded, nothing compiled.
    env = cleanEnvironment({
      ...(await betterSqlitePrebuild(path.join(dir, 'prebuilds'))),
      npm_config_prefer_offline: 'true',
    });
    const installed = await runCli(
      ['install', '--systemd', '--domain', 'localhost', '--email', 'ops@example.net', '--root', root],
      { env },
    );
    assert.equal(installed.code, 0, installed.stderr);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('--dry-run prints the upgrade and changes nothing', async () => {
    const result = await cli('upgrade', first, '--dry-run');
    assert.equal(result.code, 0, result.output);
    assert.match(
      result.output,
      new RegExp(`would +/opt/ocpp-edge/releases/${PACKAGE_VERSION}: unpack .*npm ci --omit=dev`),
    );
    assert.match(result.output, /would +\/opt\/ocpp-edge\/current → releases\//);
    assert.deepEqual(await readdir(path.join(root, 'opt/ocpp-edge/releases')), []);
    assert.equal(await link('current'), undefined);
  });

  test('the first upgrade installs the release and points current at it', async () => {
    const result = await cli('upgrade', first);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /validate +configuration OK \(proxy, backend\)/);
    assert.match(
      result.output,
      /skip +systemctl try-restart ocpp-edge-backend\.service ocpp-edge-proxy\.service \(under --root\)/,
    );
    assert.equal(await link('current'), `releases/${PACKAGE_VERSION}`);
    assert.equal(await link('previous'), undefined);
    assert.equal(await currentVersion(), PACKAGE_VERSION);
    const modules = await readdir(path.join(root, 'opt/ocpp-edge/current/node_modules'));
    assert.ok(modules.includes('better-sqlite3') && !modules.includes('typescript'), 'production dependencies only');
  });

  test('the same tarball again: already installed, nothing moves', async () => {
    const result = await cli('upgrade', first);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /ok +\/opt\/ocpp-edge\/releases\/.*: already installed/);
    assert.match(result.output, /ok +\/opt\/ocpp-edge\/current → releases\//);
    assert.equal(await link('previous'), undefined);
  });

  test('a second version: current moves to it, previous to the first; the configuration is untouched', async () => {
    const config = await readFile(path.join(root, 'etc/ocpp-edge/config.yaml'), 'utf8');
    const result = await cli('upgrade', second);
    assert.equal(result.code, 0, result.output);
    assert.equal(await link('current'), `releases/${SECOND_VERSION}`);
    assert.equal(await link('previous'), `releases/${PACKAGE_VERSION}`);
    assert.equal(await currentVersion(), SECOND_VERSION);
    assert.equal(await readFile(path.join(root, 'etc/ocpp-edge/config.yaml'), 'utf8'), config);
    assert.deepEqual((await readdir(path.join(root, 'opt/ocpp-edge'))).sort(), ['current', 'previous', 'releases']);
  });

  test('rollback goes back to the previous release in one command, and a second rollback forward again', async () => {
    const back = await cli('rollback');
    assert.equal(back.code, 0, back.output);
    assert.equal(await link('current'), `releases/${PACKAGE_VERSION}`);
    assert.equal(await link('previous'), `releases/${SECOND_VERSION}`);
    assert.equal(await currentVersion(), PACKAGE_VERSION);
    const forward = await cli('rollback');
    assert.equal(forward.code, 0, forward.output);
    assert.equal(await link('current'), `releases/${SECOND_VERSION}`);
  });

  test('an upgrade keeps --keep releases, current and previous among them, and deletes the oldest others', async () => {
    // An older release installed before these (its directory and completion marker, dated a day back).
    const old = path.join(root, 'opt/ocpp-edge/releases/0.0.1');
    await mkdir(old, { recursive: true });
    const marker = path.join(old, '.ocpp-edge-release');
    await writeFile(marker, 'installed\n');
    const dayAgo = new Date(Date.now() - 86_400_000);
    await utimes(marker, dayAgo, dayAgo);
    const kept = await cli('upgrade', first, '--keep', '3');
    assert.equal(kept.code, 0, kept.output);
    assert.deepEqual(
      (await readdir(path.join(root, 'opt/ocpp-edge/releases'))).sort(),
      ['0.0.1', PACKAGE_VERSION, SECOND_VERSION].sort(),
    );
    const pruned = await cli('upgrade', first, '--keep', '2');
    assert.equal(pruned.code, 0, pruned.output);
    assert.match(pruned.output, /removed +\/opt\/ocpp-edge\/releases\/0\.0\.1 \(keeping 2 releases\)/);
    assert.deepEqual(
      (await readdir(path.join(root, 'opt/ocpp-edge/releases'))).sort(),
      [PACKAGE_VERSION, SECOND_VERSION].sort(),
    );
    assert.equal(await link('current'), `releases/${PACKAGE_VERSION}`);
    assert.equal(await link('previous'), `releases/${SECOND_VERSION}`);
  });

  test("the release validates with the environment files' variables, as the services will see them", async () => {
    const file = path.join(root, 'etc/ocpp-edge/backend.env');
    const secrets = await readFile(file, 'utf8');
    await writeFile(file, `${secrets}DATABASE_URL=mysql://ocpp:secret@127.0.0.1/ocpp\n`);
    try {
      const before = await link('current');
      const result = await cli('upgrade', first);
      assert.equal(result.code, 1, result.output);
      assert.match(result.stderr, /nothing switched:\n.*DATABASE_URL.*expects sqlite:PATH or postgres/);
      assert.doesNotMatch(result.stderr, /secret/, 'the password is not printed');
      assert.equal(await link('current'), before);
    } finally {
      await writeFile(file, secrets);
    }
  });

  test('a release that rejects the installed configuration is not switched to', async () => {
    const file = path.join(root, 'etc/ocpp-edge/config.yaml');
    const config = await readFile(file, 'utf8');
    await writeFile(file, `${config}\nproxy-typo: true\n`);
    try {
      const before = await link('current');
      const result = await cli('upgrade', first);
      assert.equal(result.code, 1, result.output);
      assert.match(result.stderr, /the new release rejects \/etc\/ocpp-edge\/config\.yaml; nothing switched/);
      assert.equal(await link('current'), before);
    } finally {
      await writeFile(file, config);
    }
  });
});
