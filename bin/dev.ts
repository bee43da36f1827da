// `ocpp-edge dev` (what `npm start` runs): the central system and the edge together on one machine, as two
// processes like in production, with their logs on this terminal. Stops both when either exits or on Ctrl-C.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CommandModule } from 'yargs';

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
  },
};
