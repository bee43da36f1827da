// The files `ocpp-edge install` writes, generated from what the release ships (config/production.yaml,
// config/systemd/*.service, ecosystem.config.cjs) with this host's domain, e-mail, node and paths.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { HOST, SERVICE_USER } from './layout.js';

/** A file the release ships (three levels above dist/tools/install/). */
const shipped = (file: string) => readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8');

export const UNIT_NAMES = ['ocpp-edge-backend.service', 'ocpp-edge-proxy.service'] as const;

export interface InstallSettings {
  domain: string;
  email: string;
  /** The node binary the services run (the one running this install). */
  node: string;
}

/** config/production.yaml with the domain and the ACME e-mail filled in; the operator edits it afterwards. */
export function configFile(settings: InstallSettings): string {
  return (
    "# Written by `ocpp-edge install` from the release's config/production.yaml. Yours to edit: upgrades never\n" +
    `# touch it. Check a change with: ocpp-edge validate --config ${HOST.etcDir}/config.yaml\n` +
    shipped('config/production.yaml')
      .replaceAll('admin@yourdomain.com', settings.email)
      .replaceAll('yourdomain.com', settings.domain)
  );
}

/** The backend's environment: the API token drawn here, the database URL to fill in. Mode 0600. */
export function backendEnvFile(): string {
  return [
    '# ocpp-edge backend environment (written by `ocpp-edge install`; mode 0600). The proxy never reads this file.',
    `OCPP_EDGE_BACKEND_API_TOKENS=${randomBytes(32).toString('base64url')}`,
    `# Without DATABASE_URL the backend uses SQLite in ${HOST.stateDir}/ocpp.db (config.yaml's backend.database).`,
    '# DATABASE_URL=postgres://ocpp:secret@127.0.0.1:5432/ocpp_db',
    '# Only for several backends sharing state:',
    '# REDIS_URL=redis://127.0.0.1:6379',
    '',
  ].join('\n');
}

/** The proxy's environment: overrides only, no secret of the backend's. Mode 0600. */
export function proxyEnvFile(): string {
  return [
    "# ocpp-edge proxy environment (written by `ocpp-edge install`; mode 0600): overrides of config.yaml's proxy:",
    "# section, e.g. OCPP_EDGE_PROXY_LOG_LEVEL=debug. Never the database password: that is backend.env's.",
    '',
  ].join('\n');
}

/**
 * A shipped unit pointed at the installed layout: the `current` release, the configuration in /etc/ocpp-edge and
 * the node that runs this install.
 */
export function unitFile(name: (typeof UNIT_NAMES)[number], settings: InstallSettings): string {
  return shipped(`config/systemd/${name}`).replaceAll('/usr/bin/node ', `${settings.node} `);
}

/**
 * The PM2 process file of this host: the release's ecosystem.config.cjs through the `current` link, with the
 * configuration, environment files and logs of the installed layout. `pm2 reload` after an upgrade runs the new
 * release, because the apps' working directory is the link, not the release it pointed to.
 */
export function ecosystemFile(): string {
  return [
    "// Written by `ocpp-edge install --pm2`: the current release's ecosystem.config.cjs with this host's paths.",
    `//   sudo -u ${SERVICE_USER} -H pm2 startOrReload ${HOST.etcDir}/ecosystem.config.cjs --env production --update-env`,
    "'use strict';",
    `process.env.OCPP_EDGE_HOME = '${HOST.optDir}/current';`,
    `process.env.OCPP_EDGE_CONFIG = '${HOST.etcDir}/config.yaml';`,
    `process.env.OCPP_EDGE_ENV_DIR = '${HOST.etcDir}';`,
    `process.env.OCPP_EDGE_LOG_DIR = '${HOST.logDir}';`,
    `module.exports = require('${HOST.optDir}/current/ecosystem.config.cjs');`,
    '',
  ].join('\n');
}

/** logrotate for PM2's log files: daily, two weeks, copytruncate (PM2 keeps the files open). */
export function logrotateFile(): string {
  return [
    "# Written by `ocpp-edge install`: PM2's log files (systemd services log to the journal instead).",
    `${HOST.logDir}/*.log {`,
    '    daily',
    '    rotate 14',
    '    maxsize 100M',
    '    compress',
    '    delaycompress',
    '    missingok',
    '    notifempty',
    '    copytruncate',
    `    su ${SERVICE_USER} ${SERVICE_USER}`,
    '}',
    '',
  ].join('\n');
}
