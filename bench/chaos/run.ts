// `npm run chaos`: the whole stack as real processes (proxy, backends, a private PostgreSQL cluster and
// redis-server, the simulated fleet running transactions) through faults, one fresh stack per scenario, and one
// table: what the chargers were told against what the database holds. Lost must be 0.
//
//   npm run chaos                                        every scenario, their own charger counts (about 10 min)
//   npm run chaos -- --scenarios backend-kill-single,sqlite-disk-full --chargers 50
//   npm run chaos -- "--fleet=--ocpp 1.6:50%,2.0.1:50%"  simulator flags for every scenario's fleet (with "=":
//                                                        a value that starts with -- needs it)
//   npm run chaos -- --write                             the table into docs/RELIABILITY.md as well
//
// Exits 1 when a scenario lost an acknowledged transaction or failed to run.

import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { redisServerAvailable, startRedis } from '../../test/support/redis-server.js';
import { parseFleetFlags } from './fleet-flags.js';
import { postgresAvailable, startPostgresCluster } from './postgres-cluster.js';
import { runScenario } from './scenario-run.js';
import { scenarios, type SharedServices } from './scenarios.js';
import { markdownTable, textTable, type ScenarioResult } from './table.js';

const REPORT_FILE = fileURLToPath(new URL('../../../docs/RELIABILITY.md', import.meta.url));
const BEGIN = '<!-- chaos:begin (written by npm run chaos -- --write; edits inside are overwritten) -->';
const END = '<!-- chaos:end -->';

function log(line: string): void {
  process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      scenarios: { type: 'string' },
      chargers: { type: 'string' },
      fleet: { type: 'string', default: '' },
      'time-scale': { type: 'string', default: '1' },
      write: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const services: SharedServices = {};
  const all = scenarios(services);
  if (values.help) {
    process.stdout.write(
      `npm run chaos -- [--scenarios KEY,...] [--chargers N] ["--fleet=SIMULATE FLAGS"] [--write]\n\n${all
        .map((scenario) => `  ${scenario.key.padEnd(22)} ${scenario.description} (${scenario.chargers} chargers)`)
        .join('\n')}\n`,
    );
    return 0;
  }
  const wanted = values.scenarios?.split(',').map((key) => key.trim());
  const unknown = wanted?.filter((key) => !all.some((scenario) => scenario.key === key)) ?? [];
  if (unknown.length > 0) throw new Error(`--scenarios: unknown ${unknown.join(', ')} (see --help)`);
  const chosen = wanted ? all.filter((scenario) => wanted.includes(scenario.key)) : all;
  const chargers = values.chargers === undefined ? undefined : Number(values.chargers);
  if (chargers !== undefined && !(Number.isInteger(chargers) && chargers >= 1 && chargers <= 20_000))
    throw new Error('--chargers: expects an integer from 1 to 20000');
  const fleet = parseFleetFlags(values.fleet);

  if (postgresAvailable()) services.postgres = await startPostgresCluster();
  else log('PostgreSQL server binaries missing: the PostgreSQL scenarios fail');
  if (redisServerAvailable()) services.redis = await startRedis();
  else log('redis-server missing: the Redis scenarios fail');
  const results: ScenarioResult[] = [];
  const failures: string[] = [];
  const startedAt = new Date();
  try {
    for (const [index, scenario] of chosen.entries()) {
      try {
        results.push(
          await runScenario(scenario, index + 1, { chargers, fleet, timeScale: Number(values['time-scale']), log }),
        );
      } catch (error) {
        failures.push(`${scenario.key}: ${(error as Error).message}`);
        log(`${scenario.key} FAILED: ${(error as Error).stack ?? String(error)}`);
      }
    }
  } finally {
    await services.redis?.stop();
    await services.postgres?.stop();
  }
  process.stdout.write(`\n${textTable(results)}\n`);
  for (const result of results) for (const note of result.notes) process.stdout.write(`${result.scenario}: ${note}\n`);
  for (const failure of failures) process.stdout.write(`FAILED ${failure}\n`);
  if (values.write) await writeReport(results, startedAt, values.fleet);
  const lost = results.reduce((sum, result) => sum + result.accounting.lost, 0);
  return lost > 0 || failures.length > 0 ? 1 : 0;
}

async function writeReport(results: ScenarioResult[], startedAt: Date, fleet: string): Promise<void> {
  const notes = results.flatMap((result) => result.notes.map((note) => `- ${result.scenario}: ${note}`));
  const block = [
    BEGIN,
    '',
    `Run of ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}${fleet ? `, fleet flags \`${fleet}\`` : ''}:`,
    '',
    markdownTable(results),
    ...(notes.length > 0 ? ['', ...notes] : []),
    '',
    END,
  ].join('\n');
  const text = await readFile(REPORT_FILE, 'utf8');
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (begin === -1 || end === -1) throw new Error(`${path.basename(REPORT_FILE)} has no chaos markers`);
  await writeFile(REPORT_FILE, text.slice(0, begin) + block + text.slice(end + END.length));
  log(`wrote ${REPORT_FILE}`);
}

process.exitCode = await main();
