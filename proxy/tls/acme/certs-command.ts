// `ocpp-edge certs list` and `ocpp-edge certs renew [--force] [--dry-run]`: the certbot commands of the migration
// plan (`certbot certificates`, `certbot renew`), reading the proxy's own configuration (same flags, --config
// section `proxy:`, OCPP_EDGE_PROXY_* variables). `list` shows what the proxy serves, wherever it comes from (tls:
// files, self-signed or acme). `renew` is for tls: acme only: with certificates from files or self-signed there is
// nothing to order, and ordering anyway made an ACME account and certificates for names the proxy never serves.
// It stores into the data dir (or Redis, --acme-store redis); running proxies watch it and serve the new
// certificate for new handshakes within a second or two. No signal, no restart.

import pino from 'pino';
import { Registry } from 'prom-client';
import type { Argv, CommandModule } from 'yargs';
import { exitWithConfigError, loadOrExit } from '../../../common/command.js';
import { readFile } from 'node:fs/promises';
import { ConfigError, originOf, renameConfigError, yargsOptions } from '../../../common/config.js';
import { createLogger, type Logger } from '../../../common/logger.js';
import { proxyOptions, type ProxyConfig } from '../../options.js';
import { selfSignedFiles } from '../self-signed-source.js';
import { servedDomains, tlsMode, type TlsMode } from '../sources.js';
import { directoryUrlFor } from './account.js';
import { readCertificateInfo, type CertificateInfo } from './certificate-info.js';
import { createAcmeMetrics } from './metrics.js';
import type { AcmeKeyType } from './order.js';
import { problemOf } from './problem.js';
import { CertificateRenewer } from './renewer.js';
import { selfCheckTarget } from './source.js';
import { openAcmeState, type AcmeState } from './state.js';
import { FileAcmeStore } from './file-store.js';
import { certificateStorageKey, type AcmeStore } from './store.js';

const DAY_MS = 86_400_000;

export interface CertificateListing {
  domain: string;
  names: string[];
  issuer: string;
  keyType: string;
  notBefore: string;
  notAfter: string;
  daysLeft: number;
  chainLength: number;
  chainBytes: number;
  serialNumber: string;
  path: string;
  /** Where the proxy gets it: tls: files, self-signed or acme. */
  source: TlsMode;
}

export const certsCommand: CommandModule = {
  command: 'certs <action>',
  describe:
    'The certificates the proxy serves: list them (files, self-signed or ACME), or renew ACME ones now (what certbot did)',
  builder: (yargs: Argv) =>
    yargs
      .positional('action', {
        choices: ['list', 'renew'] as const,
        describe:
          'list: the certificates the proxy serves; renew: order ACME certificates if due (or --force; tls: acme only)',
      })
      .options(yargsOptions(proxyOptions, 'proxy') as never)
      .option('json', { type: 'boolean', default: false, describe: 'list: print JSON instead of a table' })
      .option('force', {
        type: 'boolean',
        default: false,
        describe: 'renew: order even when the certificate is not due',
      })
      .option('dry-run', {
        type: 'boolean',
        default: false,
        describe: 'renew: order from the staging directory (or the configured test CA) and discard the result',
      }),
  handler: async (argv) => {
    const flags = { ...(argv as Record<string, unknown>) };
    const config = loadOrExit(proxyOptions, flags, 'proxy');
    let mode: TlsMode;
    let domains: string[];
    try {
      mode = tlsMode(config);
      domains = servedDomains(config, mode);
    } catch (error) {
      if (error instanceof ConfigError) exitWithConfigError(renameConfigError(error, config));
      throw error;
    }
    if (argv.action === 'renew' && mode !== 'acme') {
      const origin = originOf(config, 'tls');
      const from = origin.source === 'default' ? 'tls not set: files with --cert, else self-signed' : origin.name;
      process.stderr.write(
        `ocpp-edge: certs renew orders ACME certificates, but the proxy's come from tls: ${mode} (${from}): nothing to renew, nothing ordered.\n` +
          `Set tls: acme (--tls acme, proxy.tls in the config file) to have certificates ordered and renewed; \`ocpp-edge certs list\` shows what is served now.\n`,
      );
      process.exit(2);
    }
    // Logs go to stderr so stdout stays a table or JSON.
    const logger = createLogger({ level: config.logLevel, name: 'certs', destination: pino.destination(2) });
    let code: number;
    if (mode !== 'acme') {
      const listings = await servedListings(config, mode, domains).catch((error: unknown) => {
        if (error instanceof ConfigError) exitWithConfigError(renameConfigError(error, config));
        throw error;
      });
      code = await printListings(listings, Boolean(argv.json), mode, config);
    } else {
      const state = await openAcmeState(config, logger).catch((error: unknown) => {
        if (error instanceof ConfigError) exitWithConfigError(renameConfigError(error, config));
        throw error;
      });
      try {
        code =
          argv.action === 'list'
            ? await printListings(await listCertificates(state.store), Boolean(argv.json), mode, config, state.store)
            : await renewCommand(config, state, logger, Boolean(argv.force), Boolean(argv.dryRun));
      } finally {
        await state.close();
      }
    }
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    process.exit(code);
  },
};

/** From a data dir, or from any ACME store. */
export async function listCertificates(from: string | AcmeStore, now = new Date()): Promise<CertificateListing[]> {
  const storage = typeof from === 'string' ? new FileAcmeStore(from) : from;
  const listings: CertificateListing[] = [];
  for (const domain of await storage.listDomains()) {
    const stored = await storage.readCertificate(domain);
    if (!stored) continue;
    const info = readCertificateInfo(stored.certPem);
    listings.push(toListing(domain, info, stored.certPath, now, 'acme'));
  }
  return listings;
}

/** What a proxy with tls: files or self-signed serves, read from the same files it reads. */
export async function servedListings(
  config: ProxyConfig,
  mode: Exclude<TlsMode, 'acme'>,
  domains: readonly string[],
  now = new Date(),
): Promise<CertificateListing[]> {
  const files = mode === 'files' ? config.cert : [selfSignedFiles(config.dataDir, domains).certFile];
  const listings: CertificateListing[] = [];
  for (const file of files) {
    let pem: string;
    try {
      pem = await readFile(file, 'utf8');
    } catch (error) {
      // Self-signed: the proxy generates it at its first start.
      if (mode === 'self-signed' && (error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new ConfigError(
        '--cert',
        `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      );
    }
    const info = readCertificateInfo(pem);
    listings.push(toListing(info.names[0] ?? file, info, file, now, mode));
  }
  return listings;
}

async function printListings(
  listings: CertificateListing[],
  json: boolean,
  mode: TlsMode,
  config: ProxyConfig,
  storage?: AcmeStore,
): Promise<number> {
  if (json) {
    process.stdout.write(`${JSON.stringify(listings, null, 2)}\n`);
    return 0;
  }
  if (listings.length === 0) {
    const where =
      mode === 'acme'
        ? `No ACME certificates in ${storage?.location}: the proxy orders them at its first start (tls: acme)`
        : `No self-signed certificate in ${config.dataDir}/self-signed yet: the proxy generates it at its first start`;
    process.stdout.write(`${where}\n`);
    return 0;
  }
  const rows = [
    ['DOMAIN', 'NAMES', 'ISSUER', 'KEY', 'NOT BEFORE', 'NOT AFTER', 'DAYS LEFT', 'CHAIN', 'BYTES', 'SOURCE'],
    ...listings.map((listing) => [
      listing.domain,
      listing.names.join(','),
      listing.issuer,
      listing.keyType,
      listing.notBefore.slice(0, 16).replace('T', ' '),
      listing.notAfter.slice(0, 16).replace('T', ' '),
      listing.daysLeft.toFixed(1),
      String(listing.chainLength),
      String(listing.chainBytes),
      listing.source,
    ]),
  ];
  process.stdout.write(formatTable(rows));
  for (const listing of listings) process.stdout.write(`${listing.domain}: ${listing.path}\n`);
  return 0;
}

async function renewCommand(
  config: ProxyConfig,
  state: AcmeState,
  logger: Logger,
  force: boolean,
  dryRun: boolean,
): Promise<number> {
  const domains = config.domain.map((domain) => domain.toLowerCase());
  if (domains.length === 0) {
    process.stderr.write('ocpp-edge: certs renew needs the domains: --domain (or proxy.domain in --config)\n');
    return 2;
  }
  const target = selfCheckTarget(config);
  const keyTypes = [...new Set(config.acmeKeyType as AcmeKeyType[])];
  let code = 0;
  // One order per key type (ECDSA and RSA side by side when both are configured), as the proxy keeps them.
  for (const [index, keyType] of keyTypes.entries()) {
    const renewer = new CertificateRenewer({
      domains,
      storageKey: certificateStorageKey(domains[0]!, keyType, index),
      directoryUrl: directoryUrlFor(config),
      email: config.acmeEmail,
      keyType,
      profile: config.acmeProfile,
      storage: state.store,
      lock: state.lock,
      // The running proxy's port-80 listener answers from this same store (data dir or Redis).
      challenges: state.challenges,
      selfCheck: target ? { ...target, timeoutMs: 5_000 } : undefined,
      metrics: createAcmeMetrics(new Registry()),
      logger,
    });
    const label = keyTypes.length > 1 ? `${domains.join(', ')} (${keyType})` : domains.join(', ');
    code = Math.max(code, await renewOne(renewer, label, domains, logger, force, dryRun));
  }
  return code;
}

async function renewOne(
  renewer: CertificateRenewer,
  label: string,
  domains: string[],
  logger: Logger,
  force: boolean,
  dryRun: boolean,
): Promise<number> {
  try {
    const outcome = await renewer.renew({ force, dryRun, purpose: `ocpp-edge certs renew (pid ${process.pid})` });
    switch (outcome.action) {
      case 'renewed': {
        const info = readCertificateInfo(outcome.stored.certPem);
        process.stdout.write(
          `Renewed ${label} in ${outcome.durationMs} ms: serial ${info.serialNumber}, valid until ${info.notAfter.toISOString()}\n` +
            `Stored in ${outcome.stored.certPath}; running proxies serve it to new connections within seconds.\n`,
        );
        return 0;
      }
      case 'dry-run':
        process.stdout.write(
          `Dry run OK against ${outcome.directoryUrl} in ${outcome.durationMs} ms: would get serial ${outcome.info.serialNumber} ` +
            `for ${outcome.info.names.join(', ')} from ${outcome.info.issuer}. Nothing was stored.\n`,
        );
        return 0;
      case 'not-due': {
        const { decision, info } = outcome.evaluation;
        process.stdout.write(
          `Not due: ${label} valid until ${info?.notAfter.toISOString()}, renewal at ${decision.renewAt.toISOString()} (${decision.reason}). ` +
            'Use --force to renew now.\n',
        );
        return 0;
      }
    }
  } catch (error) {
    const problem = problemOf(error);
    logger.error({ problem, domains }, 'certificate renewal failed');
    process.stderr.write(`ocpp-edge: renewal failed: ${problem.type}: ${problem.detail}\n`);
    return 1;
  }
}

function toListing(
  domain: string,
  info: CertificateInfo,
  certPath: string,
  now: Date,
  source: TlsMode,
): CertificateListing {
  return {
    domain,
    names: info.names,
    issuer: info.issuer,
    keyType: info.keyType,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
    daysLeft: Math.round(((info.notAfter.getTime() - now.getTime()) / DAY_MS) * 10) / 10,
    chainLength: info.chainLength,
    chainBytes: info.chainBytes,
    serialNumber: info.serialNumber,
    path: certPath,
    source,
  };
}

function formatTable(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return `${rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}
