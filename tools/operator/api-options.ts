// The API settings as yargs flags, grouped after a command's own flags in its --help.

import type { Argv, CommandModule } from 'yargs';
import { yargsOptions } from '../../common/config.js';
import { ownOptionsFirst } from '../../common/help-groups.js';
import { API_SECTION, apiOptions } from './options.js';

export const API_GROUP = 'API connection:';

/** Called last in a (sub)command's builder: its own flags first, then these. */
function withApiOptions(yargs: Argv): Argv {
  const options = yargsOptions(apiOptions, API_SECTION);
  return ownOptionsFirst(yargs)
    .options(options as never)
    .group(Object.keys(options), API_GROUP);
}

/** The subcommand with the API flags added after its own. */
export function withApi(command: CommandModule): CommandModule {
  const builder = command.builder;
  return {
    ...command,
    builder: (yargs: Argv) => {
      const built = typeof builder === 'function' ? (builder(yargs) as Argv) : yargs.options(builder ?? {});
      return withApiOptions(built);
    },
  };
}
