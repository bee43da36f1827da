// The bench commands' options (run, storm, capacity, transport): node:util's parseArgs with a description and a
// check for each option, --help, and bad input refused before anything starts: the message names the option and
// the command exits 2 (an unknown --targets name used to be dropped without a word, leaving nothing to measure).

import { parseArgs } from 'node:util';

export interface BenchOption {
  type: 'string' | 'boolean';
  multiple?: boolean;
  default?: string | boolean;
  /** One line for --help. */
  describe: string;
  /** A problem with one value as given, or undefined when it is fine. */
  check?: (value: string) => string | undefined;
}

type BenchOptions = Record<string, BenchOption>;

/** What parseArgs gives for these options (strings and booleans, as before; checked). */
export type BenchValues<T extends BenchOptions> = {
  [K in keyof T]: T[K]['type'] extends 'boolean'
    ? T[K]['default'] extends boolean
      ? boolean
      : boolean | undefined
    : T[K]['multiple'] extends true
      ? string[] | undefined
      : T[K]['default'] extends string
        ? string
        : string | undefined;
};

/** Bad command-line input: the command prints it and exits 2. */
export class BenchUsageError extends Error {}

export interface ParsedBenchArgs<T extends BenchOptions> {
  /** --help was given: print `usage` and stop. */
  help: boolean;
  usage: string;
  values: BenchValues<T>;
}

export function parseBenchArgs<T extends BenchOptions>(
  command: string,
  summary: string,
  options: T,
  args: readonly string[] = process.argv.slice(2),
): ParsedBenchArgs<T> {
  const usage = usageText(command, summary, options);
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: { ...stripDescriptions(options), help: { type: 'boolean', short: 'h', default: false } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new BenchUsageError((error as Error).message);
  }
  if (values.help) return { help: true, usage, values: values as BenchValues<T> };
  const problems: string[] = [];
  for (const [name, option] of Object.entries(options)) {
    if (!option.check) continue;
    const given = values[name];
    for (const value of Array.isArray(given) ? given : given === undefined ? [] : [given]) {
      const problem = option.check(String(value));
      if (problem) problems.push(`--${name}: ${problem} (given: ${JSON.stringify(value)})`);
    }
  }
  if (problems.length > 0) throw new BenchUsageError(problems.join('\n'));
  delete values.help;
  return { help: false, usage, values: values as BenchValues<T> };
}

/**
 * Runs a bench command: --help prints the options (exit 0), bad input its problems (exit 2), a failure of the run
 * its stack (exit 1).
 */
export async function runBenchCommand<T extends BenchOptions>(
  command: string,
  summary: string,
  options: T,
  main: (values: BenchValues<T>) => Promise<void>,
  log: (line: string) => void,
): Promise<void> {
  let parsed: ParsedBenchArgs<T>;
  try {
    parsed = parseBenchArgs(command, summary, options);
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    process.stderr.write(`${command}: ${error.message}\nRun with --help for the options.\n`);
    process.exitCode = 2;
    return;
  }
  if (parsed.help) {
    process.stdout.write(parsed.usage);
    return;
  }
  await main(parsed.values).catch((error: unknown) => {
    log(`failed: ${(error as Error)?.stack ?? String(error)}`);
    process.exitCode = 1;
  });
}

function stripDescriptions(options: BenchOptions) {
  return Object.fromEntries(
    Object.entries(options).map(([name, { type, multiple, default: value }]) => [
      name,
      { type, ...(multiple ? { multiple } : {}), ...(value !== undefined ? { default: value } : {}) },
    ]),
  ) as Record<string, { type: 'string' | 'boolean'; multiple?: boolean; default?: string | boolean }>;
}

function usageText(command: string, summary: string, options: BenchOptions): string {
  const rows = Object.entries(options).map(([name, option]) => {
    const flag = option.type === 'boolean' ? `--${name}` : `--${name} VALUE`;
    const shown = typeof option.default === 'string' ? ` [default: ${option.default}]` : '';
    const repeat = option.multiple ? ' (repeatable)' : '';
    return [flag, `${option.describe}${repeat}${shown}`] as const;
  });
  rows.push(['--help, -h', 'Show these options']);
  const width = Math.max(...rows.map(([flag]) => flag.length));
  // npm passes options on to the script after a `--` of their own.
  const placeholder = command.startsWith('npm run ') ? ' -- [options]' : ' [options]';
  return `Usage: ${command}${placeholder}\n\n${summary}\n\nOptions:\n${rows
    .map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`)
    .join('\n')}\n`;
}

// ---- checks ----

/** A whole number of at least `min`. */
export function wholeNumber(min: number): (value: string) => string | undefined {
  return (value) =>
    /^\d+$/.test(value.trim()) && Number(value) >= min ? undefined : `must be a whole number ≥ ${min}`;
}

/** A number above 0 (seconds, factors). */
export function positiveNumber(value: string): string | undefined {
  const number = Number(value);
  return value.trim() !== '' && Number.isFinite(number) && number > 0 ? undefined : 'must be a number above 0';
}

/** One of `choices`. */
export function oneOf(choices: readonly string[]): (value: string) => string | undefined {
  return (value) => (choices.includes(value) ? undefined : `must be one of ${choices.join(', ')}`);
}

/** A comma-separated list of `choices`, at least one. */
export function listOf(choices: readonly string[]): (value: string) => string | undefined {
  return (value) => {
    const names = value.split(',').map((name) => name.trim());
    const unknown = names.filter((name) => !choices.includes(name));
    if (names.length === 0 || unknown.length > 0)
      return `${unknown.length > 0 ? `unknown ${unknown.join(', ')}; ` : ''}a comma-separated list of ${choices.join(', ')}`;
    return undefined;
  };
}

/** A comma-separated list of whole numbers of at least `min`, at least one. */
export function wholeNumbers(min: number): (value: string) => string | undefined {
  const check = wholeNumber(min);
  return (value) =>
    value.split(',').every((part) => check(part) === undefined)
      ? undefined
      : `must be a comma-separated list of whole numbers ≥ ${min}`;
}
