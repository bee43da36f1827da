// "Clock sync": TLS certificates, ACME orders and OCPP timestamps all need the right time. Asked of the time
// service (timedatectl for systemd-timesyncd, then chrony), or measured against an NTP server with one SNTP
// exchange (RFC 4330) when --ntp-server names one.

import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { fail, ok, warn, type Finding } from './result.js';

const CHECK = 'clock';
/** Past this offset certificates and OCPP timestamps start to be judged wrong. */
const MAX_OFFSET_MS = 1000;
const NTP_EPOCH_OFFSET_S = 2_208_988_800;

export async function clockCheck(ntpServer?: string): Promise<Finding> {
  if (ntpServer) {
    try {
      const offsetMs = await sntpOffset(ntpServer);
      const shown = `${offsetMs >= 0 ? '+' : ''}${Math.round(offsetMs)} ms against ${ntpServer}`;
      if (Math.abs(offsetMs) <= MAX_OFFSET_MS) return ok(CHECK, shown);
      return fail(
        CHECK,
        `${shown}: off by more than ${MAX_OFFSET_MS / 1000} s`,
        'sudo apt-get install chrony (or timedatectl set-ntp true)',
      );
    } catch (error) {
      return warn(
        CHECK,
        `no answer from ${ntpServer}: ${(error as Error).message}`,
        'allow UDP 123 out, or name another --ntp-server',
      );
    }
  }
  const synchronized = run('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'])?.trim();
  if (synchronized === 'yes') return ok(CHECK, 'synchronized (timedatectl)');
  if (synchronized === 'no')
    return fail(CHECK, 'not synchronized (timedatectl)', 'sudo timedatectl set-ntp true (or install chrony)');
  const tracking = run('chronyc', ['tracking']);
  if (tracking) {
    const leap = /^Leap status\s*:\s*(.+)$/m.exec(tracking)?.[1]?.trim();
    const offset = /^System time\s*:\s*(.+)$/m.exec(tracking)?.[1]?.trim();
    if (leap === 'Normal') return ok(CHECK, `synchronized (chrony: ${offset ?? 'offset unknown'})`);
    return fail(CHECK, `chrony: ${leap ?? 'unknown state'}`, 'sudo systemctl restart chrony, and allow UDP 123 out');
  }
  return warn(
    CHECK,
    'cannot tell: neither timedatectl nor chronyc answers here',
    'install chrony (sudo apt-get install chrony), or run with --ntp-server pool.ntp.org',
  );
}

/** The local clock's offset from the server's (positive: the server is ahead), in ms, from one SNTP exchange. */
export function sntpOffset(server: string, timeoutMs = 3000): Promise<number> {
  const [host, port] = splitHostPort(server, 123);
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => finish(new Error('timed out')), timeoutMs);
    const finish = (error: Error | undefined, offset?: number) => {
      clearTimeout(timer);
      socket.close();
      if (error) reject(error);
      else resolve(offset!);
    };
    const request = Buffer.alloc(48);
    request[0] = (4 << 3) | 3; // version 4, mode 3 (client)
    const sentAt = Date.now();
    socket.on('message', (message) => {
      const receivedAt = Date.now();
      if (message.length < 48) return finish(new Error('short answer'));
      const serverReceive = ntpTime(message, 32);
      const serverTransmit = ntpTime(message, 40);
      finish(undefined, (serverReceive - sentAt + (serverTransmit - receivedAt)) / 2);
    });
    socket.on('error', (error) => finish(error));
    socket.send(request, port, host);
  });
}

function ntpTime(message: Buffer, offset: number): number {
  const seconds = message.readUInt32BE(offset) - NTP_EPOCH_OFFSET_S;
  const fraction = message.readUInt32BE(offset + 4) / 2 ** 32;
  return (seconds + fraction) * 1000;
}

function splitHostPort(value: string, defaultPort: number): [string, number] {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  if (bracketed) return [bracketed[1]!, bracketed[2] ? Number(bracketed[2]) : defaultPort];
  const parts = value.split(':');
  if (parts.length === 2) return [parts[0]!, Number(parts[1])];
  return [value, defaultPort];
}

function run(command: string, args: string[]): string | undefined {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 3000 });
  } catch {
    return undefined;
  }
}
