// `ocpp-edge install` into a staging root (--root): the layout's files with their modes, the proxy's environment
// without the backend's secrets, systemd units that point at the current release and /etc/ocpp-edge and that
// `systemd-analyze verify` accepts, the PM2 process file, idempotence (a second run changes nothing), a repair of
// a wrong mode, and a dry run that writes nothing.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { cleanEnvironment, runCli } from '../../support/cli.js';
import { findExecutable, inRepo, runTool } from '../../support/ops-tools.js';

const run = promisify(execFile);
const env = cleanEnvironment();
const DOMAIN = 'ocpp.example.net';
const EMAIL = 'ops@example.net';

async function install(root: string, ...extra: string[]) {
  const result = await runCli(['install', '--domain', DOMAIN, '--email', EMAIL, '--root', root, ...extra], { env });
  assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
  return result.stdout;
}

const modeOf = async (file: string) => ((await stat(file)).mode & 0o7777).toString(8).padStart(4, '0');

/** Every file and directory under `dir` with its mode and content: what a second run must leave as it was. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const entries = new Map<string, string>();
  for (const name of await readdir(dir, { recursive: true })) {
    const file = path.join(dir, name);
    const stats = await stat(file);
    entries.set(
      name,
      `${stats.mode.toString(8)} ${stats.mtimeMs} ${stats.isFile() ? await readFile(file, 'utf8') : ''}`,
    );
  }
  return entries;
}

/** A unit file's `Key=value` lines. */
function directives(unit: string, key: string): string[] {
  return unit
    .split('\n')
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
}

describe('ocpp-edge install --systemd --root DIR', () => {
  let root: string;
  let firstRun: string;
  const at = (file: string) => path.join(root, file);

  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-install-'));
    firstRun = await install(root, '--systemd');
  });
  after(() => rm(root, { recursive: true, force: true }));

  test('writes the layout with its modes: secrets 0600, configuration 0640, state 0700', async () => {
    const expected: Record<string, string> = {
      'etc/ocpp-edge': '0750',
      'etc/ocpp-edge/config.yaml': '0640',
      'etc/ocpp-edge/proxy.env': '0600',
      'etc/ocpp-edge/backend.env': '0600',
      'var/lib/ocpp-edge': '0700',
      'var/log/ocpp-edge': '0750',
      'opt/ocpp-edge/releases': '0755',
      'etc/systemd/system/ocpp-edge-proxy.service': '0644',
      'etc/systemd/system/ocpp-edge-backend.service': '0644',
      'etc/logrotate.d/ocpp-edge': '0644',
    };
    for (const [file, mode] of Object.entries(expected)) assert.equal(await modeOf(at(file)), mode, file);
    // Parents the install had to create keep the usual mode.
    assert.equal(await modeOf(at('var/lib')), '0755');
    // Under --root no user is created: said, not done.
    assert.match(firstRun, /skip +service user ocpp-edge: under --root; on the host: useradd --system/);
    assert.match(firstRun, /Next:\n/);
    assert.match(firstRun, /systemctl enable --now ocpp-edge-backend ocpp-edge-proxy/);
  });

  test('the configuration is production.yaml with this domain and e-mail, and validate accepts it', async () => {
    const config = await readFile(at('etc/ocpp-edge/config.yaml'), 'utf8');
    assert.match(config, new RegExp(`domain:\\n\\s+- ${DOMAIN.replaceAll('.', '\\.')}\\n`));
    assert.match(config, new RegExp(`acme-email: ${EMAIL}\\n`));
    assert.doesNotMatch(config, /yourdomain\.com/);
    const result = await runCli(['validate', '--config', at('etc/ocpp-edge/config.yaml')], { env });
    assert.equal(result.code, 0, result.stderr);
  });

  test("each process has its own environment file; the proxy's holds no backend secret", async () => {
    const backend = await readFile(at('etc/ocpp-edge/backend.env'), 'utf8');
    const token = /^OCPP_EDGE_BACKEND_API_TOKENS=([A-Za-z0-9_-]{43})$/m.exec(backend);
    assert.ok(token, `a drawn API token in backend.env:\n${backend}`);
    const proxy = await readFile(at('etc/ocpp-edge/proxy.env'), 'utf8');
    const assignments = proxy.split('\n').filter((line) => /^\s*[A-Za-z_]+=/.test(line));
    assert.deepEqual(assignments, [], 'no variable set in proxy.env');
    assert.ok(!proxy.includes(token[1]!));
  });

  test('the units run the current release with /etc/ocpp-edge, the proxy may bind low ports', async () => {
    const proxy = await readFile(at('etc/systemd/system/ocpp-edge-proxy.service'), 'utf8');
    const backend = await readFile(at('etc/systemd/system/ocpp-edge-backend.service'), 'utf8');
    const node = (await run(process.execPath, ['-p', 'require("fs").realpathSync(process.execPath)'])).stdout.trim();
    assert.deepEqual(directives(proxy, 'ExecStart'), [
      `${node} /opt/ocpp-edge/current/dist/bin/ocpp-edge.js proxy --config /etc/ocpp-edge/config.yaml`,
    ]);
    assert.deepEqual(directives(backend, 'ExecStart'), [
      `${node} /opt/ocpp-edge/current/dist/bin/ocpp-edge.js backend --config /etc/ocpp-edge/config.yaml`,
    ]);
    assert.deepEqual(directives(proxy, 'AmbientCapabilities'), ['CAP_NET_BIND_SERVICE']);
    assert.deepEqual(directives(proxy, 'EnvironmentFile'), ['-/etc/ocpp-edge/proxy.env']);
    assert.deepEqual(directives(backend, 'EnvironmentFile'), ['/etc/ocpp-edge/backend.env']);
  });

  test('systemd-analyze verify accepts the installed units', async (t) => {
    const analyze = findExecutable('systemd-analyze');
    if (!analyze) {
      if (process.env.CI === 'true') assert.fail('systemd-analyze missing: .ci/run must install the systemd package');
      t.skip('systemd-analyze not found (Debian package systemd)');
      return;
    }
    // The unit files by path, against this machine's systemd unit directories and binaries (ExecStart's node
    // exists here): no systemd as PID 1 needed. --man=no: Documentation= names a file of the release, not a man page.
    const result = await runTool(analyze, [
      'verify',
      '--man=no',
      at('etc/systemd/system/ocpp-edge-backend.service'),
      at('etc/systemd/system/ocpp-edge-proxy.service'),
    ]);
    assert.equal(result.code, 0, result.output);
    assert.equal(result.output.trim(), '', `systemd-analyze verify printed:\n${result.output}`);
  });

  test('log rotation covers the log directory and keeps files PM2 holds open (copytruncate)', async () => {
    const logrotate = await readFile(at('etc/logrotate.d/ocpp-edge'), 'utf8');
    assert.match(logrotate, /^\/var\/log\/ocpp-edge\/\*\.log \{$/m);
    assert.match(logrotate, /^\s+copytruncate$/m);
    const tool = findExecutable('logrotate');
    if (!tool) return;
    // logrotate's own parse, in debug mode (plans, rotates nothing). Where the service user does not exist (no
    // useradd under --root), the file is checked with root in its place: `su` names a user logrotate looks up.
    const known = await run('id', ['-u', 'ocpp-edge']).then(
      () => true,
      () => false,
    );
    const checked = path.join(root, 'logrotate-check');
    await writeFile(checked, known ? logrotate : logrotate.replace('su ocpp-edge ocpp-edge', 'su root root'));
    const result = await runTool(tool, ['--debug', '--state', path.join(root, 'logrotate.state'), checked]);
    assert.equal(result.code, 0, result.output);
    assert.doesNotMatch(result.output, /error/i, result.output);
    await rm(checked);
  });

  test('a second run changes nothing: every step ok, no file rewritten, the API token kept', async () => {
    const before = await snapshot(root);
    const second = await install(root, '--systemd');
    assert.match(second, /Nothing to change\./);
    assert.doesNotMatch(second, /^ {2}done/m);
    assert.deepEqual(await snapshot(root), before);
  });

  test('a secret made readable is put back to 0600, its content kept', async () => {
    const file = at('etc/ocpp-edge/backend.env');
    const content = await readFile(file, 'utf8');
    await chmod(file, 0o644);
    const output = await install(root, '--systemd');
    assert.match(output, /done +\/etc\/ocpp-edge\/backend\.env: mode 0644 → 0600/);
    assert.equal(await modeOf(file), '0600');
    assert.equal(await readFile(file, 'utf8'), content);
  });
});

describe('ocpp-edge install --dry-run', () => {
  test('prints every step and writes nothing', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-install-dry-'));
    try {
      const output = await install(root, '--pm2', '--dry-run');
      assert.deepEqual(await readdir(root), [], 'nothing written under the root');
      for (const file of [
        '/etc/ocpp-edge',
        '/etc/ocpp-edge/config.yaml',
        '/etc/ocpp-edge/proxy.env',
        '/etc/ocpp-edge/backend.env',
        '/var/lib/ocpp-edge',
        '/var/log/ocpp-edge',
        '/etc/ocpp-edge/ecosystem.config.cjs',
        '/etc/logrotate.d/ocpp-edge',
      ])
        assert.match(output, new RegExp(`would +${file.replaceAll('.', '\\.')}: create`), file);
      assert.match(output, /setcap cap_net_bind_service=\+ep/);
      assert.match(output, /9 steps would change the host\./);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  test('on the host itself without root: refused unless --dry-run', async () => {
    // As root, the test runs the command as nobody (65534).
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const result = await runCli(['install', '--domain', DOMAIN, '--email', EMAIL], { env, ...asUser });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /run this as root \(sudo\), or with --dry-run, or into a staging --root DIR/);
  });
});

describe('ocpp-edge install on an end-of-life Node', () => {
  /** Node started with process.versions.node replaced: the version the install sees, faked. */
  const onNode = (version: string) => [
    '--import',
    `data:text/javascript,Object.defineProperty(process, "versions", { value: { ...process.versions, node: ${JSON.stringify(version)} } });`,
  ];

  test('Node 20 installs, with a warning to move to 24; Node 24 without', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-install-node-'));
    try {
      const args = ['install', '--domain', DOMAIN, '--email', EMAIL, '--root', root, '--dry-run'];
      const old = await runCli(args, { env, nodeArgs: onNode('20.19.5') });
      assert.equal(old.code, 0, old.stderr);
      assert.match(
        old.stdout,
        /warning: Node\.js 20\.19\.5 reached its end of life in April 2026 .*install Node\.js 24 LTS/,
      );
      const current = await runCli(args, { env, nodeArgs: onNode('24.11.1') });
      assert.equal(current.code, 0, current.stderr);
      assert.doesNotMatch(current.stdout, /warning/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('ocpp-edge install --pm2 --root DIR', () => {
  test("a process file that runs the current release's apps with /etc/ocpp-edge and /var/log/ocpp-edge", async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-install-pm2-'));
    try {
      await install(root, '--pm2');
      const file = path.join(root, 'etc/ocpp-edge/ecosystem.config.cjs');
      assert.equal(await modeOf(file), '0644');
      const wrapper = await readFile(file, 'utf8');
      assert.match(wrapper, /require\('\/opt\/ocpp-edge\/current\/ecosystem\.config\.cjs'\)/);
      // The process file as PM2 loads it, with this repository's ecosystem.config.cjs standing for the release's.
      const script = wrapper.replace('/opt/ocpp-edge/current/ecosystem.config.cjs', inRepo('ecosystem.config.cjs'));
      const { stdout } = await run(
        process.execPath,
        [
          '-e',
          `const m = { exports: {} }; new Function('module', 'require', ${JSON.stringify(script)})(m, require); process.stdout.write(JSON.stringify(m.exports.apps))`,
        ],
        { env: { PATH: process.env.PATH } },
      );
      const apps = JSON.parse(stdout) as { name: string; cwd: string; args: string[]; out_file: string }[];
      assert.deepEqual(
        apps.map((app) => [app.name, app.cwd, app.args.join(' '), path.dirname(app.out_file)]),
        [
          [
            'ocpp-edge-proxy',
            '/opt/ocpp-edge/current',
            'proxy --config /etc/ocpp-edge/config.yaml',
            '/var/log/ocpp-edge',
          ],
          [
            'ocpp-edge-backend',
            '/opt/ocpp-edge/current',
            'backend --config /etc/ocpp-edge/config.yaml',
            '/var/log/ocpp-edge',
          ],
        ],
      );
      assert.deepEqual(await readdir(path.join(root, 'etc/systemd')).catch(() => []), [], 'no systemd unit');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
