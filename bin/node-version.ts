// The Node versions ocpp-edge runs on are package.json's `engines.node`; a process on another one stops at once with
// a line that says which it is and what to install, before any module that could fail on it is loaded.

import { packageManifest } from '../common/package-manifest.js';
import satisfies from 'semver/functions/satisfies.js';

/** package.json's `engines.node` range ("^20.19.0 || ^22.12.0 || >=24.0.0"). */
export function supportedNodeRange(): string {
  return packageManifest().engines.node;
}

/** Undefined when `version` satisfies `range`, else the message that explains what to install. */
export function unsupportedNodeMessage(version: string, range: string): string | undefined {
  if (satisfies(version, range)) return undefined;
  return (
    `ocpp-edge: Node.js ${version} is not supported (package.json engines: ${range}).\n` +
    'Install Node.js 24 LTS (recommended) or 22: NodeSource (https://github.com/nodesource/distributions) or the\n' +
    'official tarball from https://nodejs.org/en/download, so that /usr/bin/node is the new one (docs/MIGRATION.md).\n'
  );
}

/** Node lines ocpp-edge still runs on although they get no security fixes any more, with their end of life. */
const END_OF_LIFE: Record<string, string> = { '20': 'April 2026' };

/** A warning for a supported Node that reached its end of life, else undefined. */
export function endOfLifeNodeWarning(version: string): string | undefined {
  const ended = END_OF_LIFE[version.split('.')[0]!];
  if (ended === undefined) return undefined;
  return `warning: Node.js ${version} reached its end of life in ${ended} and gets no security fixes: install Node.js 24 LTS (docs/MIGRATION.md, "Prerequisites"), then run install again so the services use it`;
}
