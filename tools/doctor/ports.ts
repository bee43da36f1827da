// "Ports 80/443 free or ours": who listens on a TCP port, read as `ss -tlnp` does — the listening sockets of
// /proc/net/tcp and tcp6, and the process holding each socket's inode among /proc/PID/fd. A port held by
// ocpp-edge itself (a running proxy) is fine; anything else (nginx, Apache, a forgotten test server) must stop.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { fail, ok, type Finding } from './result.js';

const LISTEN = '0A';

export interface PortHolder {
  pid?: number;
  /** The process's command line, as ps shows it. */
  command?: string;
}

/** The holder of a listening TCP socket on `port`, undefined when the port is free; {} when the holder is unseen. */
export function listenerOn(port: number, proc = '/proc'): PortHolder | undefined {
  const inodes = new Set<string>();
  for (const table of ['net/tcp', 'net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(`${proc}/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== LISTEN) continue;
      const localPort = Number.parseInt(fields[1]!.split(':')[1] ?? '', 16);
      if (localPort === port) inodes.add(fields[9]!);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const entry of safeReaddir(proc)) {
    if (!/^\d+$/.test(entry)) continue;
    for (const fd of safeReaddir(`${proc}/${entry}/fd`)) {
      let target: string;
      try {
        target = readlinkSync(`${proc}/${entry}/fd/${fd}`);
      } catch {
        continue;
      }
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match && inodes.has(match[1]!)) return { pid: Number(entry), command: commandOf(proc, entry) };
    }
  }
  return {};
}

export function portCheck(port: number, role: string, proc?: string): Finding {
  const check = `port ${port} (${role})`;
  const holder = listenerOn(port, proc);
  if (!holder) return ok(check, 'free');
  // Ours: the CLI running the proxy (or `dev`, which runs it), or the process PM2 titles with the app's name; not
  // merely a path that contains the name.
  if (holder.command && /ocpp-edge(\.js)?\s+(proxy|dev)\b|^ocpp-edge-proxy\b/.test(holder.command))
    return ok(check, `held by ocpp-edge (pid ${holder.pid}): ours`);
  const who =
    holder.pid === undefined ? 'another process (run as root to see which)' : `${holder.command} (pid ${holder.pid})`;
  const name = holder.command?.split(/\s+/)[0]?.split('/').pop();
  return fail(
    check,
    `held by ${who}`,
    name && holder.pid !== undefined
      ? `stop it before the switch: sudo systemctl disable --now ${name} (or kill ${holder.pid})`
      : `find it with \`sudo ss -tlnp 'sport = :${port}'\` and stop it`,
  );
}

function commandOf(proc: string, pid: string): string | undefined {
  try {
    const command = readFileSync(`${proc}/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return command || undefined;
  } catch {
    return undefined;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
