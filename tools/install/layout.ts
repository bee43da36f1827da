// Where an installed ocpp-edge lives on a host. Configuration and state stay outside the release directories, so an
// upgrade (a new release and the `current` link moved to it) never touches them:
//
//   /etc/ocpp-edge/config.yaml             both processes' configuration (proxy: and backend: sections)
//   /etc/ocpp-edge/proxy.env, backend.env  each process's own environment (secrets, 0600; the proxy's never holds
//                                          the database password)
//   /var/lib/ocpp-edge/                    data directory: certificates, ACME account, SQLite, the backend socket
//   /var/log/ocpp-edge/                    PM2's log files (systemd logs to the journal)
//   /opt/ocpp-edge/releases/<version>/     one unpacked release each, with its production node_modules
//   /opt/ocpp-edge/current, previous       symbolic links to releases, swapped atomically
//
// `--root DIR` puts the whole tree under DIR (a staging root, like DESTDIR): the files written there still name the
// real paths above, as they will on the host.

import path from 'node:path';

export const SERVICE_USER = 'ocpp-edge';

/** The host's paths, as the generated files refer to them. */
export const HOST = {
  etcDir: '/etc/ocpp-edge',
  stateDir: '/var/lib/ocpp-edge',
  logDir: '/var/log/ocpp-edge',
  optDir: '/opt/ocpp-edge',
  systemdDir: '/etc/systemd/system',
  logrotateDir: '/etc/logrotate.d',
} as const;

export interface Layout {
  /** The staging root ('/' on the host itself). */
  root: string;
  etcDir: string;
  configFile: string;
  proxyEnv: string;
  backendEnv: string;
  ecosystemFile: string;
  stateDir: string;
  logDir: string;
  optDir: string;
  releasesDir: string;
  currentLink: string;
  previousLink: string;
  systemdDir: string;
  logrotateFile: string;
}

/** Every path of the layout under `root`, as this process reads and writes them. */
export function layoutUnder(root: string): Layout {
  const at = (hostPath: string) => path.join(root, hostPath);
  return {
    root,
    etcDir: at(HOST.etcDir),
    configFile: at(`${HOST.etcDir}/config.yaml`),
    proxyEnv: at(`${HOST.etcDir}/proxy.env`),
    backendEnv: at(`${HOST.etcDir}/backend.env`),
    ecosystemFile: at(`${HOST.etcDir}/ecosystem.config.cjs`),
    stateDir: at(HOST.stateDir),
    logDir: at(HOST.logDir),
    optDir: at(HOST.optDir),
    releasesDir: at(`${HOST.optDir}/releases`),
    currentLink: at(`${HOST.optDir}/current`),
    previousLink: at(`${HOST.optDir}/previous`),
    systemdDir: at(HOST.systemdDir),
    logrotateFile: at(`${HOST.logrotateDir}/ocpp-edge`),
  };
}

/** The path on the host that `file` (under the layout's root) stands for, for messages. */
export function hostPath(layout: Layout, file: string): string {
  return layout.root === '/' ? file : `/${path.relative(layout.root, file)}`;
}
