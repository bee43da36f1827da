// ocpp-edge as a package: `npm pack`'s tarball installs with `npm install -g` and, unpacked into a release
// directory, with `npm ci --omit=dev`; both run the prebuilt dist/ (no TypeScript, no build tools on the server),
// and the installed command answers `--version` and `validate`. The command refuses a Node outside package.json's
// engines before it loads anything that could fail on it.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { cleanEnvironment, runCli } from '../support/cli.js';
import { inRepo } from '../support/ops-tools.js';
import { betterSqlitePrebuild, npm, PACKAGE_VERSION, packProject } from '../support/package-tarball.js';

const run = promisify(execFile);
const manifest = JSON.parse(readFileSync(inRepo('package.json'), 'utf8')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};

/** A configuration `validate` accepts on any machine: self-signed certificates and SQLite under `dir`. */
async function writeConfig(dir: string): Promise<string> {
  const file = path.join(dir, 'ocpp-edge.yaml');
  await writeFile(
    file,
    `proxy:\n  tls: self-signed\n  domain: [localhost]\n  data-dir: ${dir}/data\nbackend:\n  database: sqlite:${dir}/data/ocpp.db\n`,
  );
  return file;
}

/** Runs an installed command with a clean environment; never throws for a non-zero exit. */
async function runInstalled(file: string, args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(file, args, { env: cleanEnvironment(), timeout: 60_000 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, output: failure.stdout + failure.stderr };
  }
}

/** No devDependency (TypeScript, vite, PM2 …) in a production install's node_modules. */
async function assertNoDevDependencies(nodeModules: string): Promise<void> {
  const installed = new Set<string>();
  for (const name of await readdir(nodeModules)) {
    if (name.startsWith('@'))
      for (const scoped of await readdir(path.join(nodeModules, name))) installed.add(`${name}/${scoped}`);
    else installed.add(name);
  }
  // Dev-only packages; one that is also a production dependency's dependency may legitimately be there.
  for (const name of ['typescript', 'vite', 'vitest', 'knip', '@biomejs/biome', 'pm2', 'playwright-core'])
    assert.ok(!installed.has(name), `${name} (a devDependency) installed in ${nodeModules}`);
  assert.ok(Object.keys(manifest.devDependencies).includes('typescript'));
}

describe('ocpp-edge as an npm package', () => {
  let dir: string;
  let tarball: string;
  let npmEnv: NodeJS.ProcessEnv;
  let config: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-package-'));
    tarball = await packProject(path.join(dir, 'pack'));
    npmEnv = await betterSqlitePrebuild(path.join(dir, 'prebuilds'));
    config = await writeConfig(dir);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('the tarball holds the built program, the console and the lock file, and no TypeScript source or test', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball], { maxBuffer: 16 * 1024 * 1024 });
    const files = stdout.trim().split('\n');
    for (const file of [
      'package/dist/bin/ocpp-edge.js',
      'package/dist/proxy/server.js',
      'package/dist/backend/server.js',
      'package/dist/console/index.html',
      'package/npm-shrinkwrap.json',
      'package/config/production.yaml',
      'package/config/systemd/ocpp-edge-proxy.service',
      'package/ecosystem.config.cjs',
    ])
      assert.ok(files.includes(file), `${file} in the tarball`);
    assert.deepEqual(
      files.filter((file) => /\.ts$/.test(file) && !file.endsWith('.d.ts')),
      [],
      'no TypeScript source',
    );
    assert.deepEqual(
      files.filter((file) => file.startsWith('package/dist/test/') || file.startsWith('package/dist/bench/')),
      [],
    );
  });

  test('npm install -g from the tarball: `ocpp-edge --version` and `ocpp-edge validate` run from the prefix', async () => {
    const prefix = path.join(dir, 'global');
    await npm(['install', '--global', '--prefix', prefix, '--prefer-offline', tarball], dir, npmEnv);
    const bin = path.join(prefix, 'bin', 'ocpp-edge');
    const version = await runInstalled(bin, ['--version']);
    assert.equal(version.code, 0, version.output);
    assert.equal(version.output.trim(), PACKAGE_VERSION);
    const validated = await runInstalled(bin, ['validate', '--config', config]);
    assert.equal(validated.code, 0, validated.output);
    assert.equal(validated.output, 'configuration OK (proxy, backend)\n');
    await assertNoDevDependencies(path.join(prefix, 'lib', 'node_modules', 'ocpp-edge', 'node_modules'));
  });

  test('npm ci --omit=dev in an unpacked release directory: no build step, the shipped dist/ runs', async () => {
    const release = path.join(dir, 'release');
    await mkdir(release);
    await run('tar', ['-xzf', tarball, '-C', release, '--strip-components=1']);
    const shipped = readFileSync(path.join(release, 'dist', 'bin', 'ocpp-edge.js'), 'utf8');
    await npm(['ci', '--omit=dev', '--prefer-offline'], release, npmEnv);
    // prepare did not rebuild (it could not: no TypeScript here) and nothing was compiled into the release.
    assert.equal(readFileSync(path.join(release, 'dist', 'bin', 'ocpp-edge.js'), 'utf8'), shipped);
    assert.equal(existsSync(path.join(release, 'node_modules', '.bin', 'tsc')), false);
    await assertNoDevDependencies(path.join(release, 'node_modules'));
    const bin = path.join(release, 'dist', 'bin', 'ocpp-edge.js');
    const version = await runInstalled(process.execPath, [bin, '--version']);
    assert.equal(version.output.trim(), PACKAGE_VERSION);
    const validated = await runInstalled(process.execPath, [bin, 'validate', '--config', config]);
    assert.equal(validated.code, 0, validated.output);
  });
});

describe('the Node version check', () => {
  /** Node started with process.versions.node replaced before the CLI runs: the check's input, faked. */
  const onNode = (version: string) => [
    '--import',
    `data:text/javascript,Object.defineProperty(process, "versions", { value: { ...process.versions, node: ${JSON.stringify(version)} } });`,
  ];

  test("an unsupported Node: one message naming it, engines' range and what to install; exit 2", async () => {
    for (const version of ['18.20.4', '20.18.0', '22.11.0', '21.7.3']) {
      const result = await runCli(['--version'], { nodeArgs: onNode(version), env: cleanEnvironment() });
      assert.equal(result.code, 2, `${version}: ${result.stdout}${result.stderr}`);
      assert.equal(result.stdout, '');
      assert.ok(
        result.stderr.startsWith(
          `ocpp-edge: Node.js ${version} is not supported (package.json engines: ${manifest.engines.node}).\n`,
        ),
        result.stderr,
      );
      assert.match(result.stderr, /Node\.js 24 LTS \(recommended\) or 22/);
    }
  });

  test('a supported Node runs the command', async () => {
    for (const version of ['20.19.0', '22.12.0', '24.0.0', '26.1.0']) {
      const result = await runCli(['--version'], { nodeArgs: onNode(version), env: cleanEnvironment() });
      assert.equal(result.code, 0, `${version}: ${result.stderr}`);
      assert.equal(result.stdout.trim(), PACKAGE_VERSION);
    }
  });
});
