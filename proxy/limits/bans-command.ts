// `ocpp-edge bans list` and `ocpp-edge bans lift TARGET`: the operator's view of fail2ban, built in. Reads the
// proxy's own configuration (same flags, --config section `proxy:`, environment) to find its private metrics
// listener, where the running proxy serves its bans (bans-admin.ts). With --bans-store redis every proxy shares
// the list, so asking one of them is enough; a lift is published to all.

import type { Argv, CommandModule } from 'yargs';
import { loadOrExit } from '../../common/command.js';
import { yargsOptions } from '../../common/config.js';
import { proxyOptions } from '../options.js';
import type { Ban } from './ban-list.js';

export const bansCommand: CommandModule = {
  command: 'bans <action> [target]',
  describe: 'Bans after repeated authentication failures: list them, or lift one (an address or a charge point id)',
  builder: (yargs: Argv) =>
    yargs
      .positional('action', { choices: ['list', 'lift'] as const, describe: 'list: bans in force; lift: end one' })
      .positional('target', {
        type: 'string',
        describe: 'lift: the banned address (or IPv6 network) or charge point id',
      })
      .options(yargsOptions(proxyOptions) as never)
      .option('json', { type: 'boolean', default: false, describe: 'list: print JSON instead of a table' }),
  handler: async (argv) => {
    const config = loadOrExit(proxyOptions, { ...(argv as Record<string, unknown>) }, 'proxy');
    const host = config.metricsHost === '0.0.0.0' || config.metricsHost === '::' ? '127.0.0.1' : config.metricsHost;
    const base = `http://${host.includes(':') ? `[${host}]` : host}:${config.metricsPort}`;
    try {
      if (argv.action === 'list') process.exitCode = await list(base, Boolean(argv.json));
      else process.exitCode = await lift(base, argv.target as string | undefined);
    } catch (error) {
      process.stderr.write(
        `ocpp-edge: cannot reach the proxy at ${base} (--metrics-host/--metrics-port): ${(error as Error).message}\n`,
      );
      process.exitCode = 1;
    }
  },
};

async function list(base: string, asJson: boolean): Promise<number> {
  const response = await fetch(`${base}/bans`);
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const { bans } = (await response.json()) as { bans: Ban[] };
  if (asJson) {
    process.stdout.write(`${JSON.stringify(bans, null, 2)}\n`);
    return 0;
  }
  if (bans.length === 0) {
    process.stdout.write('No bans in force.\n');
    return 0;
  }
  const rows = bans.map((ban) => [
    ban.kind === 'address' ? 'address' : 'charge point',
    ban.key,
    new Date(ban.until).toISOString(),
    `${Math.max(0, Math.round((ban.until - Date.now()) / 1000))} s`,
    String(ban.offences),
    ban.reason,
  ]);
  const header = ['KIND', 'BANNED', 'UNTIL', 'LEFT', 'OFFENCES', 'REASON'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  for (const row of [header, ...rows])
    process.stdout.write(
      `${row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd()}\n`,
    );
  return 0;
}

async function lift(base: string, target: string | undefined): Promise<number> {
  if (!target) {
    process.stderr.write('ocpp-edge: bans lift needs the banned address or charge point id\n');
    return 2;
  }
  const response = await fetch(`${base}/bans/${encodeURIComponent(target)}`, { method: 'DELETE' });
  if (response.status === 404) {
    process.stderr.write(`No ban in force on ${target}.\n`);
    return 1;
  }
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const { lifted } = (await response.json()) as { lifted: Ban[] };
  for (const ban of lifted)
    process.stdout.write(`Lifted the ban on ${ban.kind === 'address' ? 'address' : 'charge point'} ${ban.key}.\n`);
  return 0;
}
