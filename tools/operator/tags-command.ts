// `ocpp-edge tags list|add|block|unblock|remove|import`: the id tags that answer Authorize and StartTransaction
// (backend/api/id-tags.ts, local-lists.ts). An import takes the API's own formats: a JSON array of tags or CSV
// with the header idTag,status,expiryDate,parentIdTag, chosen by the file's extension.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { withApi } from './api-options.js';
import { collect, operatorHandler, UsageError, type OperatorContext, type OperatorOutput } from './run.js';
import { formatTable, type Column } from './table.js';

interface IdTag {
  idTag: string;
  status: string;
  expiryDate: string | null;
  parentIdTag: string | null;
}

const STATUSES = ['Accepted', 'Blocked', 'Expired', 'Invalid'] as const;

const columns: Column<IdTag>[] = [
  { header: 'ID TAG', value: (tag) => tag.idTag },
  { header: 'STATUS', value: (tag) => tag.status },
  { header: 'EXPIRES', value: (tag) => tag.expiryDate },
  { header: 'GROUP', value: (tag) => tag.parentIdTag },
];

const tagArgument = (yargs: Argv) =>
  yargs.positional('tag', { type: 'string', demandOption: true, describe: 'The id tag (as the charger reads it)' });

export const tagsCommand: CommandModule = {
  command: 'tags <command>',
  describe: 'List, add, block and import the id tags chargers authorize against',
  builder: (yargs: Argv) =>
    yargs
      .command(
        withApi({
          command: 'list',
          describe: 'Every id tag, in id order',
          builder: (y: Argv) =>
            y
              .option('search', { type: 'string', describe: 'Substring of the id tag, any case' })
              .option('group', { type: 'string', describe: 'Only the members of this parent id tag' }),
          handler: operatorHandler('tags list', list),
        }),
      )
      .command(
        withApi({
          command: 'add <tag>',
          describe: 'Add an id tag, or replace it',
          builder: (y: Argv) =>
            tagArgument(y)
              .option('status', { type: 'string', choices: STATUSES, default: 'Accepted', describe: 'Its status' })
              .option('expiry', { type: 'string', describe: 'Expiry date (ISO time)' })
              .option('group', { type: 'string', describe: 'Parent id tag (its group)' }),
          handler: operatorHandler('tags add', (c) =>
            put(c, {
              status: String(c.argv.status),
              expiryDate: (c.argv.expiry as string | undefined) ?? null,
              parentIdTag: (c.argv.group as string | undefined) ?? null,
            }),
          ),
        }),
      )
      .command(
        withApi({
          command: 'block <tag>',
          describe: 'Block an id tag (kept in the list, refused at Authorize); its expiry and group stay',
          builder: tagArgument,
          handler: operatorHandler('tags block', (c) => setStatus(c, 'Blocked')),
        }),
      )
      .command(
        withApi({
          command: 'unblock <tag>',
          describe: 'Accept a blocked id tag again',
          builder: tagArgument,
          handler: operatorHandler('tags unblock', (c) => setStatus(c, 'Accepted')),
        }),
      )
      .command(
        withApi({
          command: 'remove <tag>',
          describe: 'Remove an id tag from the list',
          builder: tagArgument,
          handler: operatorHandler('tags remove', async ({ api, argv }) => {
            await api.request('DELETE', `/api/id-tags/${encodeURIComponent(String(argv.tag))}`);
            return { json: { idTag: argv.tag, removed: true }, text: `${String(argv.tag)}: removed\n` };
          }),
        }),
      )
      .command(
        withApi({
          command: 'import <file>',
          describe: 'Add or replace the id tags of a CSV (idTag,status,expiryDate,parentIdTag) or JSON file',
          builder: (y: Argv) =>
            y
              .positional('file', { type: 'string', demandOption: true, describe: 'A .csv or .json file; - for stdin' })
              .option('format', { type: 'string', choices: ['csv', 'json'], describe: 'Default: by file extension' })
              .option('replace', {
                type: 'boolean',
                default: false,
                describe: 'Also remove every tag that is not in the file',
              }),
          handler: operatorHandler('tags import', importTags),
        }),
      )
      .demandCommand(1, 'Name a tags command: list, add, block, unblock, remove, import')
      .example('$0 tags add 04A2B3C4 --expiry 2027-01-01T00:00:00Z', 'a card for a year')
      .example('$0 tags import cards.csv', 'the export of the old central system'),
  handler: () => {},
};

async function list({ api, argv, config }: OperatorContext): Promise<OperatorOutput> {
  const tags = await collect(
    api.pages<IdTag>('/api/id-tags', {
      limit: config.pageSize,
      q: argv.search as string | undefined,
      parentIdTag: argv.group as string | undefined,
    }),
  );
  return { json: tags, text: `${formatTable(columns, tags)}${tags.length} id tags\n` };
}

async function put({ api, argv }: OperatorContext, body: Omit<IdTag, 'idTag'>): Promise<OperatorOutput> {
  const tag = String(argv.tag);
  const response = await api.request('PUT', `/api/id-tags/${encodeURIComponent(tag)}`, { body });
  const saved = (await response.json()) as IdTag;
  return { json: saved, text: `${tag}: ${response.status === 201 ? 'added' : 'updated'}, ${saved.status}\n` };
}

async function setStatus(context: OperatorContext, status: 'Accepted' | 'Blocked'): Promise<OperatorOutput> {
  const tag = String(context.argv.tag);
  const current = await context.api.json<IdTag>('GET', `/api/id-tags/${encodeURIComponent(tag)}`);
  return put(context, { status, expiryDate: current.expiryDate, parentIdTag: current.parentIdTag });
}

async function importTags({ api, argv }: OperatorContext): Promise<OperatorOutput> {
  const file = String(argv.file);
  const format = (argv.format as string | undefined) ?? formatOf(file);
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let body: unknown = text;
  if (format === 'json') {
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}`);
    }
  }
  const result = await api.json<{ created: number; updated: number; removed: number }>('POST', '/api/id-tags/import', {
    query: { replace: argv.replace ? true : undefined },
    body,
    contentType: format === 'csv' ? 'text/csv' : 'application/json',
  });
  return {
    json: result,
    text: `imported ${file}: ${result.created} added, ${result.updated} updated, ${result.removed} removed\n`,
  };
}

function formatOf(file: string): 'csv' | 'json' {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension === '.json') return 'json';
  throw new UsageError(`cannot tell the format of ${file}: name it .csv or .json, or pass --format csv|json`);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
