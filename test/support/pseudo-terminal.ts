// Runs an ocpp-edge command on a pseudo-terminal, as a person at a terminal would (util-linux `script`), so that
// process.stdout.isTTY is true in it, and keeps what it printed with the terminal's colours and carriage returns
// taken out.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { CLI, cleanEnvironment } from './cli.js';
import { waitFor } from './waiting.js';

export interface TerminalSession {
  /** Everything printed so far, plain text. */
  text(): string;
  /** Resolves with the text once `pattern` appears in it. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM to the command itself (not to `script`, whose hang-up would be a SIGHUP, a reload); waits for the end. */
  stop(): Promise<void>;
}

const PID_LINE = /^PID=(\d+)\r?$/m;
/** Colours and cursor movements: ESC [ … letter. */
const TERMINAL_CONTROL = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');

export function runInTerminal(args: string[], env: NodeJS.ProcessEnv = {}): TerminalSession {
  const quoted = [process.execPath, CLI, ...args].map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
  // The shell prints its pid, then becomes the command: that pid is the command's.
  const child: ChildProcess = spawn('script', ['-qfec', `echo PID=$$; exec ${quoted}`, '/dev/null'], {
    env: cleanEnvironment({ TERM: 'xterm-256color', ...env }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  let raw = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (raw += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (raw += chunk));
  const exited = once(child, 'close');
  const text = () => raw.replace(TERMINAL_CONTROL, '').replace(/\r/g, '');
  return {
    text,
    waitFor: (pattern, timeoutMs = 30_000) =>
      waitFor(`${pattern} on the terminal`, () => (pattern.test(text()) ? text() : undefined), {
        timeoutMs,
        log: text().split('\n'),
      }),
    async stop() {
      const pid = PID_LINE.exec(text())?.[1];
      if (pid && child.exitCode === null) {
        try {
          process.kill(Number(pid), 'SIGTERM');
        } catch {
          // already gone
        }
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
      process.off('exit', reap);
    },
  };
}
