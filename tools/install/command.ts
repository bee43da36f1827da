// `ocpp-edge install`, `ocpp-edge upgrade` and `ocpp-edge rollback`: one command each for the host's set-up, a new
// release and the way back (docs/MIGRATION.md, "Install ocpp-edge").

import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { endOfLifeNodeWarning } from '../../bin/node-version.js';
import { EXIT_CONFIG } from '../../common/exit-codes.js';
import { packageManifest } from '../../common/package-manifest.js';
import { installSteps, userStep, type ServiceManager } from './install.js';
import { HOST, layoutUnder, SERVICE_USER, type Layout } from './layout.js';
import { DEFAULT_KEPT_RELEASES, rollback, upgrade } from './releases.js';
import { runSteps } from './steps.js';

const out = (line: string) => process.stdout.write(`${line}\n`);

function rootOption<T>(yargs: Argv<T>) {
  return yargs
    .option('root', {
      type: 'string',
      default: '/',
      describe: 'Install into this directory instead of / (a staging root: no user, no capability, no restart)',
    })
    .option('dry-run', { type: 'boolean', default: false, describe: 'Print every step, change nothing' });
}

/** The layout, or an exit with a message when the host needs root and this is not. */
function layoutFor(argv: Record<string, unknown>): Layout {
  const layout = layoutUnder(path.resolve(String(argv.root ?? '/')));
  if (layout.root === '/' && !argv.dryRun && process.getuid?.() !== 0) {
    process.stderr.write('ocpp-edge: run this as root (sudo), or with --dry-run, or into a staging --root DIR\n');
    process.exit(EXIT_CONFIG);
  }
  return layout;
}

async function reportFailure(task: () => Promise<void>): Promise<void> {
  try {
    await task();
  } catch (error) {
    process.stderr.write(`ocpp-edge: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

export const installCommand: CommandModule = {
  command: 'install',
  describe:
    'Set this host up for ocpp-edge under systemd or PM2: user, /etc/ocpp-edge, data and log directories, units, log rotation',
  builder: (yargs: Argv) =>
    rootOption(yargs)
      .option('systemd', { type: 'boolean', describe: 'systemd units (the default)' })
      .option('pm2', { type: 'boolean', describe: 'a PM2 process file instead of systemd units' })
      .conflicts('systemd', 'pm2')
      .option('domain', { type: 'string', demandOption: true, describe: 'The domain chargers connect to' })
      .option('email', { type: 'string', demandOption: true, describe: "The ACME account's contact e-mail" })
      .example('$0 install --systemd --domain ocpp.example.com --email ops@example.com', '')
      .example('$0 install --pm2 --domain ocpp.example.com --email ops@example.com --dry-run', ''),
  handler: async (argv) => {
    const layout = layoutFor(argv);
    const manager: ServiceManager = argv.pm2 ? 'pm2' : 'systemd';
    const dryRun = Boolean(argv.dryRun);
    await reportFailure(async () => {
      out(
        `ocpp-edge install (${manager})${dryRun ? ', dry run: nothing is changed' : ''}${layout.root === '/' ? '' : ` into ${layout.root}`}`,
      );
      const warning = endOfLifeNodeWarning(process.versions.node);
      if (warning) out(warning);
      const first = await runSteps([userStep(layout)], dryRun, out);
      const steps = await installSteps({ manager, layout, domain: String(argv.domain), email: String(argv.email) });
      const rest = await runSteps(steps, dryRun, out);
      const changed = first.changed + rest.changed;
      out(
        dryRun
          ? `${changed} steps would change the host.`
          : changed === 0
            ? 'Nothing to change.'
            : `${changed} steps done.`,
      );
      out(nextSteps(manager));
    });
  },
};

export const upgradeCommand: CommandModule = {
  command: 'upgrade <tarball>',
  describe: `Install a release (npm pack's ocpp-edge-x.y.z.tgz) into ${HOST.optDir}/releases/<version>, switch ${HOST.optDir}/current to it, restart the services`,
  builder: (yargs: Argv) =>
    rootOption(yargs)
      .positional('tarball', { type: 'string', describe: 'ocpp-edge-x.y.z.tgz (npm pack ocpp-edge, or a build)' })
      .option('keep', {
        type: 'number',
        default: DEFAULT_KEPT_RELEASES,
        describe: 'Releases kept in /opt/ocpp-edge/releases, current and previous among them; older ones are deleted',
      })
      .example('$0 upgrade ./ocpp-edge-0.2.0.tgz', 'then `ocpp-edge rollback` goes back in one command'),
  handler: async (argv) => {
    const layout = layoutFor(argv);
    await reportFailure(() =>
      upgrade(
        path.resolve(String(argv.tarball)),
        { layout, dryRun: Boolean(argv.dryRun), out },
        Math.max(2, Number(argv.keep)),
      ),
    );
  },
};

export const rollbackCommand: CommandModule = {
  command: 'rollback',
  describe: `Switch ${HOST.optDir}/current back to the previous release and restart the services`,
  builder: (yargs: Argv) => rootOption(yargs),
  handler: async (argv) => {
    const layout = layoutFor(argv);
    await reportFailure(() => rollback({ layout, dryRun: Boolean(argv.dryRun), out }));
  },
};

function nextSteps(manager: ServiceManager): string {
  const tarball = `ocpp-edge-${packageManifest().version}.tgz`;
  const common = [
    '',
    'Next:',
    `  1. Review ${HOST.etcDir}/config.yaml (domain, CORS origins) and ${HOST.etcDir}/backend.env (DATABASE_URL; the`,
    '     API token there was drawn for you).',
    `  2. Put a release in place: sudo ocpp-edge upgrade ${tarball}   (npm pack ocpp-edge, or the one you installed)`,
    `  3. Check it: ocpp-edge validate --config ${HOST.etcDir}/config.yaml   (upgrade ran it too)`,
  ];
  if (manager === 'systemd')
    return [
      ...common,
      '  4. sudo systemctl daemon-reload && sudo systemctl enable --now ocpp-edge-backend ocpp-edge-proxy',
      '  5. From another machine, once DNS points here: ocpp-edge check https://DOMAIN',
    ].join('\n');
  return [
    ...common,
    `  4. sudo -u ${SERVICE_USER} -H pm2 start ${HOST.etcDir}/ecosystem.config.cjs --env production && sudo -u ${SERVICE_USER} -H pm2 save`,
    `  5. sudo pm2 startup systemd -u ${SERVICE_USER} --hp ${HOST.stateDir}   (PM2 itself: npm install -g pm2)`,
    '  6. From another machine, once DNS points here: ocpp-edge check https://DOMAIN',
  ].join('\n');
}
