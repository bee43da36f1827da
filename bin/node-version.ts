// The Node versions ocpp-edge runs on are package.json's `engines.node`; a process on another one stops at once with
// a line that says which it is and what to install, before any module that could fail on it is loaded.

import { readFileSync } from 'node:fs';
import satisfies from 'semver/functions/satisfies.js';

/** package.json's `engines.node` range ("^20.19.0 || ^22.12.0 || >=24.0.0"), read next to dist/. */
export function supportedNodeRange(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    engines?: { node?: string };
  };
  return manifest.engines?.node ?? '*';
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
