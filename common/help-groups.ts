// `--help` of a command shows its own flags first and the global ones (--help, --version) after, under their own
// heading: yargs lists the groups a command declares before the global ones, and its ungrouped flags last, so
// a command's ungrouped flags are grouped under "Options:" here, by whoever built them.

import type { Argv } from 'yargs';

export const OWN_OPTIONS = 'Options:';
export const GLOBAL_OPTIONS = 'Global options:';

/** Puts every flag declared so far that has no group yet under "Options:" (positionals keep theirs). */
export function ownOptionsFirst(yargs: Argv, except: readonly string[] = []): Argv {
  const internals = yargs as unknown as {
    getOptions(): { key: Record<string, unknown> };
    getGroups(): Record<string, string[]>;
  };
  const grouped = new Set([...Object.values(internals.getGroups()).flat(), ...except]);
  const own = Object.keys(internals.getOptions().key).filter(
    // yargs also keeps a camelCase alias of each kebab-case flag: users type (and read) the kebab-case one.
    (key) => !grouped.has(key) && key !== '$0' && key !== 'help' && key !== 'version' && !/[A-Z]/.test(key),
  );
  return own.length > 0 ? yargs.group(own, OWN_OPTIONS) : yargs;
}
