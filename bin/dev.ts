// `ocpp-edge dev` (what `npm start` runs): the central system and the edge together on one machine, as two
// processes like in production, with their logs on this terminal. Stops both when either exits or on Ctrl-C.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CommandModule } from 'yargs';
import { devStack } from './dev-banner.js';

/** How long the banner waits for both processes to answer. */
const READY_TIMEOUT_MS = 60_000;

const entry = fileURLToPath(new URL('./ocpp-edge.js', import.meta.url));

export const devCommand: CommandModule = {
  command: 'dev',
  describe: 'Run backend and proxy together for local development (what `npm start` runs)',
  builder: (yargs) =>
    yargs.option('config', {
      type: 'string',
      describe: 'Configuration file with proxy: and backend: sections',
      default: 'config/development.yaml',
    }),
  handler: async (argv) => {
    const config = String(argv.config);
    const env = {
      ...process.env,
      OCPP_EDGE_LOG_PRETTY: process.env.OCPP_EDGE_LOG_PRETTY ?? (process.stdout.isTTY ? '1' : '0'),
    };
    const children: ChildProcess[] = [];
    let stopping = false;
    const stopAll = (code: number) => {
      if (stopping) return;
      stopping = true;
      process.exitCode = code;
      for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    };
    for (const name of ['backend', 'proxy']) {
      const child = spawn(process.execPath, [entry, name, '--config', config], { stdio: 'inherit', env });
      child.on('exit', (code, signal) => {
        if (!stopping)
          process.stderr.write(`ocpp-edge dev: ${name} exited (${signal ?? code}); stopping the other process\n`);
        stopAll(code ?? 1);
      });
      children.push(child);
    }
    process.on('SIGINT', () => stopAll(0));
    process.on('SIGTERM', () => stopAll(0));
    // Read after the start: the proxy writes its self-signed certificate, which the banner names, as it starts.
    if (await answering(devStack(config).healthUrls, () => stopping)) process.stdout.write(devStack(config).banner);
  },
};

/** True once every URL answers 200; false when `gaveUp` says so first or the time is up. */
async function answering(urls: string[], gaveUp: () => boolean): Promise<boolean> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline && !gaveUp()) {
    const answers = await Promise.all(
      urls.map((url) =>
        fetch(url, { signal: AbortSignal.timeout(1000) }).then(
          (response) => response.ok,
          () => false,
        ),
      ),
    );
    if (answers.every(Boolean)) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}
