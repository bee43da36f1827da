// Layered configuration shared by every ocpp-edge command.
//
// Each command declares its options once, as a table of OptionSpec. From that table come the yargs flags (with
// their help text and defaults), the accepted keys of the config file section, the OCPP_EDGE_* environment
// variables and the typed result. Precedence: flags > environment > config file > defaults. Everything is
// validated here, once, before anything starts; a ConfigError names the offending key.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { socketPathProblem, unixSocketPath } from './unix-socket.js';

export interface OptionSpec {
  type: 'string' | 'number' | 'boolean';
  describe: string;
  /** Repeatable flag; from the environment a comma-separated list. */
  array?: boolean;
  default?: string | number | boolean | readonly string[];
  choices?: readonly string[];
  /** For numbers: integer between min and max (inclusive). */
  integer?: boolean;
  min?: number;
  max?: number;
  /** Environment variables read besides OCPP_EDGE_<KEY> (e.g. DATABASE_URL), highest precedence first. */
  env?: readonly string[];
  /** Never printed: logs and error messages show "[redacted]". */
  secret?: boolean;
  /** Extra check of a present value; returns an error message or undefined. */
  check?: (value: never) => string | undefined;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;
type ScalarOf<S extends OptionSpec> = S['type'] extends 'number'
  ? number
  : S['type'] extends 'boolean'
    ? boolean
    : string;
type ValueOf<S extends OptionSpec> = S['array'] extends true ? ScalarOf<S>[] : ScalarOf<S>;
type HasValue<S extends OptionSpec> = S extends { default: unknown }
  ? true
  : S['array'] extends true
    ? true
    : S['type'] extends 'boolean'
      ? true
      : false;

/** The typed, validated configuration of a command: kebab-case flags become camelCase keys. */
export type ConfigOf<T extends OptionSpecs> = {
  -readonly [K in keyof T & string as CamelCase<K>]: HasValue<T[K]> extends true
    ? ValueOf<T[K]>
    : ValueOf<T[K]> | undefined;
} & { configFile: string | undefined };

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`${key}: ${reason}`);
    this.name = 'ConfigError';
  }
}

export function camelCase(key: string): string {
  return key.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function envName(key: string): string {
  return `OCPP_EDGE_${key.replace(/-/g, '_').toUpperCase()}`;
}

/** Options for yargs built from the table; defaults are shown in help but not applied by yargs (we merge them). */
export function yargsOptions(specs: OptionSpecs): Record<string, Record<string, unknown>> {
  const options: Record<string, Record<string, unknown>> = {
    config: { type: 'string', describe: 'Configuration file (YAML or JSON)', requiresArg: true },
  };
  for (const [key, spec] of Object.entries(specs)) {
    const envs = [envName(key), ...(spec.env ?? [])].join(', ');
    options[key] = {
      type: spec.type,
      describe: `${spec.describe} [env ${envs}]`,
      array: spec.array ?? false,
      choices: spec.choices,
      requiresArg: spec.type !== 'boolean',
      defaultDescription: spec.default === undefined ? undefined : JSON.stringify(spec.default),
    };
  }
  return options;
}

export interface LoadSources {
  /** Parsed command-line flags (yargs argv). Only keys the user gave are present. */
  flags: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** Section of the config file this command reads ("proxy", "backend", ...). */
  section: string;
}

/** The config file sections every command accepts; a file may configure the whole stack. */
export const CONFIG_SECTIONS = ['proxy', 'backend', 'simulate', 'check'] as const;

export function loadConfig<T extends OptionSpecs>(specs: T, sources: LoadSources): ConfigOf<T> {
  const env = sources.env ?? process.env;
  const configFile = pickConfigFile(sources.flags, env);
  const fileValues = configFile ? readConfigSection(configFile, sources.section) : {};

  for (const key of Object.keys(fileValues)) {
    if (!(key in specs)) throw new ConfigError(`${sources.section}.${key}`, `unknown key in ${configFile}`);
  }

  const result: Record<string, unknown> = { configFile };
  for (const [key, spec] of Object.entries(specs)) {
    let value: unknown;
    let origin: string;
    const flag = sources.flags[key] ?? sources.flags[camelCase(key)];
    const fromEnv = readEnv(key, spec, env);
    if (flag !== undefined) {
      value = flag;
      origin = `--${key}`;
    } else if (fromEnv !== undefined) {
      value = fromEnv.value;
      origin = fromEnv.name;
    } else if (key in fileValues) {
      value = fileValues[key];
      origin = `${sources.section}.${key} in ${configFile}`;
    } else {
      value = spec.default;
      origin = `--${key}`;
    }
    result[camelCase(key)] = coerce(value, spec, origin);
  }
  return result as ConfigOf<T>;
}

/** A copy of a loaded configuration that is safe to log. */
export function redactConfig(specs: OptionSpecs, config: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...config };
  for (const [key, spec] of Object.entries(specs)) {
    const name = camelCase(key);
    if (spec.secret && copy[name] !== undefined)
      copy[name] = Array.isArray(copy[name]) ? copy[name].map(() => '[redacted]') : '[redacted]';
    else if (typeof copy[name] === 'string') copy[name] = redactUrlPassword(copy[name] as string);
  }
  return copy;
}

/** postgres://user:secret@host/db → postgres://user:***@host/db */
export function redactUrlPassword(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, '$1***@');
}

function pickConfigFile(flags: Record<string, unknown>, env: NodeJS.ProcessEnv): string | undefined {
  const file = flags.config ?? env.OCPP_EDGE_CONFIG;
  if (file === undefined || file === '') return undefined;
  if (typeof file !== 'string') throw new ConfigError('--config', 'expects one file name');
  return file;
}

function readConfigSection(file: string, section: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError('--config', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let document: unknown;
  try {
    document = path.extname(file) === '.json' ? JSON.parse(text) : YAML.parse(text);
  } catch (error) {
    throw new ConfigError(
      '--config',
      `${file} is not valid ${path.extname(file) === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  if (document === null || document === undefined) return {};
  if (!isPlainObject(document))
    throw new ConfigError('--config', `${file} must hold a mapping of sections (${CONFIG_SECTIONS.join(', ')})`);
  for (const key of Object.keys(document)) {
    if (!(CONFIG_SECTIONS as readonly string[]).includes(key)) {
      throw new ConfigError(key, `unknown section in ${file} (expected one of ${CONFIG_SECTIONS.join(', ')})`);
    }
  }
  const values = document[section];
  if (values === undefined || values === null) return {};
  if (!isPlainObject(values)) throw new ConfigError(section, `section in ${file} must be a mapping of keys to values`);
  return values;
}

function readEnv(key: string, spec: OptionSpec, env: NodeJS.ProcessEnv): { name: string; value: unknown } | undefined {
  const names = [envName(key), ...(spec.env ?? [])];
  // Plural form for lists, e.g. OCPP_EDGE_API_TOKENS for --api-token.
  if (spec.array) names.splice(1, 0, `${envName(key)}S`);
  for (const name of names) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = spec.array
      ? raw
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item !== '')
      : raw;
    return { name, value };
  }
  return undefined;
}

function coerce(value: unknown, spec: OptionSpec, origin: string): unknown {
  if (spec.array) {
    if (value === undefined) return [];
    const items = Array.isArray(value) ? value : [value];
    return items.map((item) => coerceScalar(item, spec, origin));
  }
  if (Array.isArray(value)) {
    // yargs gives an array when a non-repeatable flag is repeated: the last one wins, as with most CLIs.
    value = value[value.length - 1];
  }
  if (value === undefined) return spec.type === 'boolean' ? false : undefined;
  return coerceScalar(value, spec, origin);
}

function coerceScalar(value: unknown, spec: OptionSpec, origin: string): unknown {
  const shown = spec.secret ? '[redacted]' : JSON.stringify(value);
  let result: unknown = value;
  switch (spec.type) {
    case 'number': {
      const number =
        typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      if (!Number.isFinite(number)) throw new ConfigError(origin, `expects a number, got ${shown}`);
      if (spec.integer && !Number.isInteger(number))
        throw new ConfigError(origin, `expects a whole number, got ${shown}`);
      if (spec.min !== undefined && number < spec.min)
        throw new ConfigError(origin, `must be at least ${spec.min}, got ${shown}`);
      if (spec.max !== undefined && number > spec.max)
        throw new ConfigError(origin, `must be at most ${spec.max}, got ${shown}`);
      result = number;
      break;
    }
    case 'boolean': {
      if (typeof value === 'boolean') break;
      if (typeof value === 'string' && /^(true|1|yes|on)$/i.test(value)) result = true;
      else if (typeof value === 'string' && /^(false|0|no|off)$/i.test(value)) result = false;
      else throw new ConfigError(origin, `expects true or false, got ${shown}`);
      break;
    }
    case 'string': {
      if (typeof value === 'number') result = String(value);
      else if (typeof value !== 'string') throw new ConfigError(origin, `expects a string, got ${shown}`);
      if (result === '') throw new ConfigError(origin, 'must not be empty');
      break;
    }
  }
  if (spec.choices && !spec.choices.includes(result as string)) {
    throw new ConfigError(origin, `must be one of ${spec.choices.join(', ')}, got ${shown}`);
  }
  const problem = spec.check?.(result as never);
  if (problem) throw new ConfigError(origin, problem);
  return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Reusable checks for option tables.
export const checks = {
  port: { type: 'number', integer: true, min: 0, max: 65535 } as const,
  httpUrl(value: string): string | undefined {
    try {
      const url = new URL(value);
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        return `expects an http:// or https:// URL, got ${JSON.stringify(value)}`;
      return undefined;
    } catch {
      return `expects a URL, got ${JSON.stringify(value)}`;
    }
  },
  /** An upstream: an http:// or https:// URL, or unix:PATH for a backend on this host's Unix socket. */
  upstreamAddress(value: string): string | undefined {
    const socketPath = unixSocketPath(value);
    return socketPath === undefined ? checks.httpUrl(value) : socketPathProblem(socketPath);
  },
  /** A Unix socket path to listen on. */
  socketPath(value: string): string | undefined {
    return socketPathProblem(value);
  },
  domainName(value: string): string | undefined {
    // Lower-case DNS name or a single-label name such as localhost; IP addresses are allowed for development.
    return /^(?=.{1,253}$)(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(
      value,
    )
      ? undefined
      : `expects a domain name, got ${JSON.stringify(value)}`;
  },
};
