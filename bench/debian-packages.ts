// The Debian packages the bench needs on the machine it runs on (nginx, wrk, libjemalloc2): installed with
// apt-get when missing, as `npm run bench` is one command on a fresh machine.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const APT_TIMEOUT_MS = 300_000;

export async function aptInstall(packageName: string, log: (line: string) => void): Promise<void> {
  log(`${packageName} not found: apt-get install -y ${packageName}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update'], { timeout: APT_TIMEOUT_MS, env });
  await run('apt-get', ['install', '-y', '--no-install-recommends', packageName], { timeout: APT_TIMEOUT_MS, env });
}
