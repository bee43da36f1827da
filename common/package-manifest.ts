// The package's own package.json (two levels above dist/common/): its version (for --version, the build_info
// metric, the backend's user agent) and the Node versions it supports. Imports node:fs alone, so that
// bin/ocpp-edge.ts can read it before it knows the Node version is supported.

import { readFileSync } from 'node:fs';

interface PackageManifest {
  version: string;
  engines: { node: string };
}

let manifest: PackageManifest | undefined;

export function packageManifest(): PackageManifest {
  manifest ??= JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as PackageManifest;
  return manifest;
}
