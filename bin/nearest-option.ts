// "Unknown argument: http-prot" says what is wrong; "did you mean --http-port?" says what to type. yargs suggests
// commands (recommendCommands) but not options, so the options of the command being parsed are searched here
// with the same edit distance as the configuration keys (common/config.ts).

import type { Argv } from 'yargs';
import { suggestion } from '../common/config.js';

/**
 * For yargs' "Unknown argument(s): …" about flags the user typed, one line per flag with the nearest known option
 * of that command; undefined for any other message (kept as yargs wrote it).
 */
export function unknownOptionsMessage(message: string, parser: Argv, args: readonly string[]): string | undefined {
  const match = /^Unknown arguments?: (.+)$/.exec(message);
  if (!match) return undefined;
  const typed = new Set(args.filter((arg) => arg.startsWith('-')).map((arg) => arg.replace(/^-+/, '').split('=')[0]));
  // yargs also names the camelCase alias it made of each unknown flag: only what was typed is reported.
  const unknown = match[1]!.split(', ').filter((name) => typed.has(name));
  if (unknown.length === 0) return undefined;
  const known = knownOptions(parser);
  return unknown
    .map((name) => {
      const near = suggestion(name, known, (candidate) => `--${candidate}`);
      return `unknown option --${name}${near ? `: did you mean${near.slice(' (did you mean'.length, -2)}?` : ''}`;
    })
    .join('\n');
}

function knownOptions(parser: Argv): string[] {
  // The shared parser holds the options of the command being parsed when validation fails.
  const options = (parser as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions();
  return Object.keys(options.key).filter((key) => !/[A-Z]/.test(key) && key !== '$0');
}
