// `ocpp-edge transactions list|export`: charging sessions, newest first. `list` follows the API's pages up to
// --limit; `export` streams every matching one as the API's CSV (GET /api/transactions/export.csv), or, with
// --json, every page as one JSON array: the billing and rollback export of docs/MIGRATION.md.

import { createWriteStream } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Argv, CommandModule } from 'yargs';
import { withApi } from './api-options.js';
import { collect, operatorHandler, type OperatorContext, type OperatorOutput } from './run.js';
import { formatTable, type Column } from './table.js';

interface Transaction {
  id: number;
  chargePointId: string;
  connectorId: number;
  idTag: string;
  startTime: string;
  stopTime: string | null;
  stopReason: string | null;
  energy: number | null;
}

const columns: Column<Transaction>[] = [
  { header: 'ID', value: (t) => t.id },
  { header: 'CHARGER', value: (t) => t.chargePointId },
  { header: 'CONNECTOR', value: (t) => t.connectorId },
  { header: 'ID TAG', value: (t) => t.idTag },
  { header: 'STARTED', value: (t) => t.startTime },
  { header: 'STOPPED', value: (t) => t.stopTime ?? 'running' },
  { header: 'KWH', value: (t) => (t.energy === null ? null : (t.energy / 1000).toFixed(3)) },
  { header: 'REASON', value: (t) => t.stopReason },
];

const filters = (yargs: Argv) =>
  yargs
    .option('since', {
      type: 'string',
      describe: 'Started at or after this ISO time (2026-11-01, 2026-11-01T00:00:00Z)',
    })
    .option('until', { type: 'string', describe: 'Started before this ISO time' })
    .option('charger', { type: 'string', describe: 'Only this charge point' })
    .option('id-tag', { type: 'string', describe: 'Only this id tag' })
    .option('active', { type: 'boolean', describe: 'Only running ones (--no-active: only finished ones)' });

export const transactionsCommand: CommandModule = {
  command: 'transactions <command>',
  describe: 'List and export charging sessions',
  builder: (yargs: Argv) =>
    yargs
      .command(
        withApi({
          command: 'list',
          describe: 'The newest transactions, every page up to --limit',
          builder: (y: Argv) =>
            filters(y).option('limit', {
              type: 'number',
              default: 100,
              describe: 'At most this many (0: every one)',
            }),
          handler: operatorHandler('transactions list', list),
        }),
      )
      .command(
        withApi({
          command: 'export',
          describe: 'Every matching transaction as CSV (or --json), streamed',
          builder: (y: Argv) =>
            filters(y).option('output', {
              type: 'string',
              alias: 'o',
              describe: 'Write to this file instead of stdout',
            }),
          handler: operatorHandler('transactions export', exportTransactions),
        }),
      )
      .demandCommand(1, 'Name a transactions command: list, export')
      .example('$0 transactions list --active', 'what is charging now')
      .example('$0 transactions export --since 2026-11-01 -o november.csv', "a month's sessions for billing"),
  handler: () => {},
};

function query(argv: Record<string, unknown>) {
  return {
    since: isoTime(argv.since),
    until: isoTime(argv.until),
    chargePointId: argv.charger as string | undefined,
    idTag: argv.idTag as string | undefined,
    active: argv.active as boolean | undefined,
  };
}

/** A bare date is its midnight UTC, as the API takes only full ISO times. */
function isoTime(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
}

async function list({ api, argv, config }: OperatorContext): Promise<OperatorOutput> {
  const limit = Number(argv.limit) > 0 ? Number(argv.limit) : Infinity;
  const pageSize = Math.min(config.pageSize, limit);
  const transactions = await collect(
    api.pages<Transaction>('/api/transactions', { ...query(argv), limit: pageSize }, limit),
  );
  const running = transactions.filter((t) => t.stopTime === null).length;
  return {
    json: transactions,
    text: `${formatTable(columns, transactions)}${transactions.length} transactions, ${running} running\n`,
  };
}

async function exportTransactions({ api, argv, config }: OperatorContext): Promise<undefined> {
  const output = argv.output as string | undefined;
  const destination: Writable = output ? createWriteStream(output) : stdoutWithoutClosing();
  if (config.json) {
    // One page at a time from the API, written as it comes: the array never sits whole in memory.
    const pages = api.pages<Transaction>('/api/transactions', { ...query(argv), limit: config.pageSize });
    await pipeline(Readable.from(jsonArray(pages)), destination);
  } else {
    const response = await api.request('GET', '/api/transactions/export.csv', {
      query: query(argv),
      accept: 'text/csv',
    });
    await pipeline(Readable.fromWeb(response.body as never), destination);
  }
  if (output) process.stderr.write(`exported to ${output}\n`);
  return undefined;
}

async function* jsonArray(items: AsyncIterable<unknown>): AsyncGenerator<string> {
  let first = true;
  for await (const item of items) {
    yield `${first ? '[\n' : ',\n'}${JSON.stringify(item)}`;
    first = false;
  }
  yield first ? '[]\n' : '\n]\n';
}

/** stdout as a pipeline's end that is not ended with it (process.stdout must stay open for the exit). */
function stdoutWithoutClosing(): Writable {
  return new Writable({
    write(chunk, _encoding, callback) {
      process.stdout.write(chunk, callback);
    },
  });
}
