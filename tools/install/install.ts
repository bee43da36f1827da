// `ocpp-edge install`: the steps that turn a host with Node into one that runs ocpp-edge under systemd or PM2 —
// the service user, /etc/ocpp-edge (configuration, each process's environment file), the data and log
// directories, the units or the PM2 process file, the low-port capability and log rotation. Each step is skipped
// when the host already has it, so a second run changes nothing.

import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { promisify } from 'node:util';
import {
  backendEnvFile,
  configFile,
  ecosystemFile,
  logrotateFile,
  proxyEnvFile,
  unitFile,
  UNIT_NAMES,
  type InstallSettings,
} from './files.js';
import { HOST, hostPath, SERVICE_USER, type Layout } from './layout.js';
import { commandStep, directoryStep, fileStep, noteStep, type Owner, type Step } from './steps.js';
import path from 'node:path';

const run = promisify(execFile);

export type ServiceManager = 'systemd' | 'pm2';

export interface InstallOptions extends Omit<InstallSettings, 'node'> {
  manager: ServiceManager;
  layout: Layout;
}

/** The user's ids, or undefined while it does not exist. */
async function userIds(name: string): Promise<Owner | undefined> {
  try {
    const uid = Number((await run('id', ['-u', name])).stdout.trim());
    const gid = Number((await run('id', ['-g', name])).stdout.trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/** The node the services will run: this one, by its real path (not a version manager's shim). */
export function serviceNode(): string {
  return realpathSync(process.execPath);
}

/** The first step, on its own: the other steps' owners are the user it creates. */
export function userStep(layout: Layout): Step {
  if (layout.root !== '/')
    return noteStep(
      `service user ${SERVICE_USER}`,
      `under --root; on the host: useradd --system --home-dir ${HOST.stateDir} --shell /usr/sbin/nologin ${SERVICE_USER}`,
    );
  return commandStep(
    `service user ${SERVICE_USER}`,
    [
      'useradd',
      '--system',
      '--home-dir',
      HOST.stateDir,
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      SERVICE_USER,
    ],
    async () => (await userIds(SERVICE_USER)) !== undefined,
  );
}

/** Everything after the user. Owners are set on the host itself, as root, once the user exists; never under --root. */
export async function installSteps(options: InstallOptions): Promise<Step[]> {
  const { layout, manager } = options;
  const settings: InstallSettings = { domain: options.domain, email: options.email, node: serviceNode() };
  const onHost = layout.root === '/';
  const steps: Step[] = [];
  const shown = (file: string) => hostPath(layout, file);
  const service = onHost ? await userIds(SERVICE_USER) : undefined;
  const root: Owner | undefined = service && { uid: 0, gid: 0 };
  const rootAndGroup: Owner | undefined = service && { uid: 0, gid: service.gid };
  // systemd reads EnvironmentFile= as root; PM2's daemon runs as the service user and reads them itself.
  const secretsOwner = manager === 'systemd' ? root : service;

  steps.push(
    directoryStep(shown(layout.etcDir), layout.etcDir, 0o750, rootAndGroup),
    fileStep(shown(layout.configFile), layout.configFile, () => configFile(settings), {
      mode: 0o640,
      owner: rootAndGroup,
      keepExisting: true,
    }),
    fileStep(shown(layout.proxyEnv), layout.proxyEnv, proxyEnvFile, {
      mode: 0o600,
      owner: secretsOwner,
      keepExisting: true,
    }),
    fileStep(shown(layout.backendEnv), layout.backendEnv, backendEnvFile, {
      mode: 0o600,
      owner: secretsOwner,
      keepExisting: true,
    }),
    directoryStep(shown(layout.stateDir), layout.stateDir, 0o700, service),
    directoryStep(shown(layout.logDir), layout.logDir, 0o750, service),
    directoryStep(shown(layout.releasesDir), layout.releasesDir, 0o755, root),
  );

  if (manager === 'systemd') {
    for (const name of UNIT_NAMES) {
      const file = path.join(layout.systemdDir, name);
      steps.push(fileStep(shown(file), file, () => unitFile(name, settings), { mode: 0o644, owner: root }));
    }
    steps.push(noteStep('ports 80 and 443', 'AmbientCapabilities=CAP_NET_BIND_SERVICE in ocpp-edge-proxy.service'));
  } else {
    steps.push(
      fileStep(shown(layout.ecosystemFile), layout.ecosystemFile, ecosystemFile, { mode: 0o644, owner: root }),
    );
    const capability = ['setcap', 'cap_net_bind_service=+ep', settings.node];
    if (onHost)
      steps.push(
        commandStep(`ports 80 and 443 for ${settings.node}`, capability, async () => {
          try {
            return /cap_net_bind_service/.test((await run('getcap', [settings.node])).stdout);
          } catch {
            return false;
          }
        }),
      );
    else steps.push(noteStep('ports 80 and 443', `under --root; on the host: ${capability.join(' ')}`));
  }
  steps.push(fileStep(shown(layout.logrotateFile), layout.logrotateFile, logrotateFile, { mode: 0o644, owner: root }));
  return steps;
}
