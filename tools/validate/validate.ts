// `ocpp-edge validate`: the whole start-up validation of both processes, without starting them (nginx -t,
// caddy validate, promtool check config). Keys, ports, certificate/key pairs and domain coverage, the database
// and Redis URLs: the same checks the processes make before they listen, collected so every problem is reported at
// once, each naming its key as the user wrote it. Nothing is bound, ordered, connected or migrated, unless
// `connect` asks to reach the database and Redis (a query and a PING, no migration).

import path from 'node:path';
import { ConfigError, loadConfig, renameConfigError, type ConfigOf, type OptionSpecs } from '../../common/config.js';
import { backendOptions, type BackendConfig } from '../../backend/options.js';
import { checkListenerPorts } from '../../proxy/config-checks.js';
import { proxyOptions, type ProxyConfig } from '../../proxy/options.js';
import { MemoryCertificateStore } from '../../proxy/tls/certificate-store.js';
import { COMMON_NAME_WARNING, profileDropsCommonName } from '../../proxy/tls/acme/common-name.js';
import { FilesCertificateSource } from '../../proxy/tls/files-source.js';
import { checkDomainsCovered, servedDomains, tlsMode } from '../../proxy/tls/sources.js';
import { loadTicketKeys } from '../../proxy/tls/ticket-keys.js';

export interface ValidationResult {
  /** One line per problem: "proxy.tls in FILE: …". Empty: the configuration is valid. */
  problems: string[];
  /** What was checked, for the OK line. */
  checked: string[];
  /** Valid but worth knowing (what the processes would warn about at start-up): printed, exit code unchanged. */
  warnings: string[];
}

export interface ValidateOptions {
  flags: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** Also reach the database and Redis. */
  connect: boolean;
}

export async function validateConfiguration(options: ValidateOptions): Promise<ValidationResult> {
  const problems: string[] = [];
  const checked: string[] = [];
  const proxy = load(proxyOptions, 'proxy', options, problems);
  const backend = load(backendOptions, 'backend', options, problems);
  if (proxy) {
    await collect(problems, proxy, () => validateProxy(proxy));
    checked.push('proxy');
  }
  if (backend) {
    if (options.connect) await collect(problems, backend, () => reachBackendServices(backend));
    checked.push(options.connect ? 'backend (database and Redis reached)' : 'backend');
  }
  if (proxy && backend) await collect(problems, proxy, async () => checkUpstreamMatchesBackend(proxy, backend));
  return { problems, checked, warnings: proxy ? proxyWarnings(proxy) : [] };
}

/** The start-up warnings of the proxy that the configuration alone decides. */
function proxyWarnings(config: ProxyConfig): string[] {
  const warnings: string[] = [];
  if (config.tls === 'acme' && profileDropsCommonName(config.acmeProfile))
    warnings.push(`proxy.acme-profile ${config.acmeProfile}: ${COMMON_NAME_WARNING}`);
  if (config.plainOcppOnHttp)
    warnings.push(
      'proxy.plain-ocpp-on-http: chargers of security profile 1 may connect over plain ws:// (their password unencrypted)',
    );
  if (config.tlsCompat === 'ocpp-legacy')
    warnings.push('proxy.tls-compat ocpp-legacy: static-RSA suites without forward secrecy are offered (TLS 1.2)');
  return warnings;
}

function load<T extends OptionSpecs>(
  specs: T,
  section: string,
  options: ValidateOptions,
  problems: string[],
): ConfigOf<T> | undefined {
  // Each process only knows its own flags: a flag given to validate configures the section that declares it.
  const flags = Object.fromEntries(Object.entries(options.flags).filter(([key]) => key === 'config' || key in specs));
  try {
    return loadConfig(specs, { flags, section, env: options.env });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(error.message);
    return undefined;
  }
}

async function collect(problems: string[], config: object, check: () => Promise<void>): Promise<void> {
  try {
    await check();
  } catch (error) {
    if (error instanceof ConfigError) problems.push(renameConfigError(error, config).message);
    else problems.push((error as Error).message);
  }
}

/** What startProxy checks before it opens anything, minus the listening and the ACME account. */
async function validateProxy(config: ProxyConfig): Promise<void> {
  checkListenerPorts(config);
  const mode = tlsMode(config);
  const domains = servedDomains(config, mode);
  if (config.tlsTicketKeys !== undefined) await loadTicketKeysIfPresent(config.tlsTicketKeys);
  if (mode === 'files') {
    if (config.cert.length === 0)
      throw new ConfigError('--cert', 'at least one --cert/--key pair is required with --tls files');
    if (config.cert.length !== config.key.length)
      throw new ConfigError(
        '--key',
        `each --cert needs the --key at the same position: got ${config.cert.length} --cert and ${config.key.length} --key`,
      );
    const store = new MemoryCertificateStore(domains[0]);
    const source = new FilesCertificateSource({
      pairs: config.cert.map((certFile, index) => ({ certFile, keyFile: config.key[index]! })),
      store,
      logger: silentLogger,
    });
    // Reads and checks every pair; no watcher (that is start()).
    await source.reload();
    checkDomainsCovered(domains, store);
  }
  if (mode === 'acme' && config.acmeStore === 'redis' && !config.redis)
    throw new ConfigError('--acme-store', 'redis needs --redis (or REDIS_URL)');
}

/** A missing key file is created at start; an existing one must be a usable key. */
async function loadTicketKeysIfPresent(file: string): Promise<void> {
  const { existsSync } = await import('node:fs');
  if (existsSync(file)) await loadTicketKeys(file);
}

async function reachBackendServices(config: BackendConfig): Promise<void> {
  const { openDatabase } = await import('../../backend/store/database.js');
  const { sql } = await import('kysely');
  const { db } = openDatabase({ url: config.database, poolSize: 1 });
  try {
    await sql`select 1`.execute(db);
  } catch (error) {
    throw new ConfigError('--database', `cannot be reached: ${(error as Error).message}`);
  } finally {
    await db.destroy().catch(() => {});
  }
  if (config.redis) {
    const { Redis } = await import('ioredis');
    const redis = new Redis(config.redis, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      retryStrategy: () => null,
    });
    try {
      await redis.connect();
      await redis.ping();
    } catch (error) {
      throw new ConfigError('--redis', `cannot be reached: ${(error as Error).message}`);
    } finally {
      redis.disconnect();
    }
  }
}

/**
 * With both sections in one file, the proxy should forward to where the backend listens: its port, or its Unix
 * socket (`unix:PATH`, production.yaml's layout).
 */
async function checkUpstreamMatchesBackend(proxy: ProxyConfig, backend: BackendConfig): Promise<void> {
  const targets = proxy.upstream.map((url) => new URL(url));
  const reachesSocket = targets.some(
    (url) =>
      url.protocol === 'unix:' &&
      backend.socket !== undefined &&
      path.resolve(url.pathname) === path.resolve(backend.socket),
  );
  const ports = targets
    .filter((url) => url.protocol !== 'unix:')
    .map((url) => Number(url.port || (url.protocol === 'https:' ? 443 : 80)));
  if (backend.port !== 0 && !reachesSocket && !ports.includes(backend.port))
    throw new ConfigError(
      '--upstream',
      `${proxy.upstream.join(', ')} does not reach the backend's port ${backend.port}${backend.socket ? ` nor its socket ${backend.socket}` : ''}`,
    );
}

const silentLogger = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  child() {
    return silentLogger;
  },
} as never;
