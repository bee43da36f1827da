// The API settings as yargs flags, grouped after a command's own flags in its --help.

import type { Argv } from 'yargs';
import { yargsOptions } from '../../common/config.js';
import { API_SECTION, apiOptions } from './options.js';

export const API_GROUP = 'API connection:';

export function withApiOptions(yargs: Argv): Argv {
  const options = yargsOptions(apiOptions, API_SECTION);
  return yargs.options(options as never).group(Object.keys(options), API_GROUP);
}
