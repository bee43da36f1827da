// The frame of every operator subcommand: load the shared API settings (flags > env > --config), run, print
// JSON or a table, and turn a failure into one line on stderr: exit 1 for what the API refused or could not do,
// 2 for a configuration the command cannot use.

import { exitWithConfigError, loadOrExit } from '../../common/command.js';
import { ConfigError } from '../../common/config.js';
import { ApiClient, ApiError } from './api-client.js';
import { apiConnection } from './connection.js';
import { API_SECTION, apiOptions, type ApiConfig } from './options.js';

export interface OperatorContext {
  api: ApiClient;
  config: ApiConfig;
  argv: Record<string, unknown>;
}

/** What an action gives back: the JSON to print with --json, and the text to print otherwise. */
export interface OperatorOutput {
  json: unknown;
  text: string;
}

export function operatorHandler(
  name: string,
  action: (context: OperatorContext) => Promise<OperatorOutput | undefined>,
): (argv: Record<string, unknown>) => Promise<void> {
  return async (argv) => {
    const config = loadOrExit(apiOptions, argv, API_SECTION);
    let output: OperatorOutput | undefined;
    try {
      const api = new ApiClient(apiConnection(config));
      output = await action({ api, config, argv });
    } catch (error) {
      if (error instanceof ConfigError) exitWithConfigError(error);
      if (error instanceof ApiError || error instanceof UsageError) {
        process.stderr.write(`ocpp-edge ${name}: ${error.message}\n`);
        process.exit(error instanceof UsageError ? 2 : 1);
      }
      throw error;
    }
    const text = output === undefined ? '' : config.json ? `${JSON.stringify(output.json, null, 2)}\n` : output.text;
    // Exit once stdout has taken everything: a pipe may not have drained yet.
    process.stdout.write(text, () => process.exit(0));
  };
}

/** A request the command itself refuses (a bad file, a missing argument): exit 2. */
export class UsageError extends Error {}

/** Every item of an async iterable, in order. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const result: T[] = [];
  for await (const item of items) result.push(item);
  return result;
}
