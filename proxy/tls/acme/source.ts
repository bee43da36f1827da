// `--tls acme`: certificates from an ACME CA, issued and renewed inside the proxy (no certbot, no cron, no restart).
//
// start(): serve the stored certificate, or a self-signed placeholder until the first one arrives; then check at
// once and every hour (renewer.ts decides, renewal-schedule.ts says when). After a failure the certificate being
// served stays, and the next attempt waits per backoff.ts. Every process sharing the ACME state (the data dir, or
// Redis with --acme-store redis: state.ts) watches it, so a certificate stored by any of them (or by `ocpp-edge
// certs renew`) is served by all, for new handshakes only.

import type { Registry } from 'prom-client';
import { COMMON_NAME_WARNING, hasCommonName, profileDropsCommonName } from './common-name.js';
import { ConfigError } from '../../../common/config.js';
import type { Logger } from '../../../common/logger.js';
import type { ProxyConfig } from '../../options.js';
import type { CertificateSource, CertificateStore, ChallengeStore } from '../types.js';
import { directoryUrlFor } from './account.js';
import { retryDelayMs } from './backoff.js';
import { LockBusyError } from './lock.js';
import { createAcmeMetrics, type AcmeMetrics } from './metrics.js';
import type { AcmeKeyType } from './order.js';
import { createPlaceholder } from './placeholder.js';
import { problemOf } from './problem.js';
import { CertificateRenewer } from './renewer.js';
import type { AcmeState } from './state.js';
import { certificateStorageKey, type AcmeStore, type StoredCertificate } from './store.js';

export interface AcmeSourceOptions {
  config: ProxyConfig;
  store: CertificateStore;
  challenges: ChallengeStore;
  /** Store and lock (--acme-store); `challenges` is its challenge store. */
  acme: AcmeState;
  logger: Logger;
  registry: Registry;
}

/** Renewal is re-evaluated at least this often (a stored certificate can change, ARI windows can move). */
const CHECK_INTERVAL_MS = 60 * 60_000;
/** Another process is ordering: look again after this long. */
const LOCK_BUSY_RETRY_MS = 60_000;

/**
 * One order per --acme-key-type (ECDSA and RSA side by side when both are given): each certificate is stored,
 * renewed and served on its own, the certificate store serves both for the domains (certificate-store.ts).
 */
export function createAcmeCertificateSource(options: AcmeSourceOptions): CertificateSource {
  const { config } = options;
  const domains = config.domain.map((domain) => domain.toLowerCase());
  if (domains.length === 0) throw new ConfigError('--domain', 'at least one domain is required with --tls acme');
  if (profileDropsCommonName(config.acmeProfile))
    options.logger.warn(
      { acmeProfile: config.acmeProfile },
      `--acme-profile ${config.acmeProfile}: ${COMMON_NAME_WARNING}`,
    );
  const keyTypes = [...new Set(config.acmeKeyType as AcmeKeyType[])];
  const sources = keyTypes.map(
    (keyType, index) =>
      new AcmeCertificateSource(options, domains, keyType, certificateStorageKey(domains[0]!, keyType, index)),
  );
  return new AcmeSources(sources, domains, options);
}

/** The orders of every key type, started together: a placeholder only while none of them has a certificate. */
class AcmeSources implements CertificateSource {
  constructor(
    private readonly sources: AcmeCertificateSource[],
    private readonly domains: string[],
    private readonly options: AcmeSourceOptions,
  ) {}

  async start(): Promise<void> {
    const served = await Promise.all(this.sources.map((source) => source.installStored('stored certificate')));
    if (!served.some(Boolean)) {
      const placeholder = await createPlaceholder(this.domains);
      this.options.store.install(placeholder.certPem, placeholder.keyPem, 'placeholder');
      this.options.logger.warn(
        { domains: this.domains },
        'no ACME certificate yet: serving a self-signed placeholder until the first one is issued',
      );
    }
    for (const source of this.sources) source.begin();
  }

  async reload(): Promise<void> {
    for (const source of this.sources) await source.reload();
  }

  async stop(): Promise<void> {
    for (const source of this.sources) await source.stop();
  }
}

class AcmeCertificateSource {
  private readonly logger: Logger;
  private readonly storage: AcmeStore;
  private readonly renewer: CertificateRenewer;
  private readonly metrics: AcmeMetrics;
  private servedSerial: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private failures = 0;
  private stopped = false;
  private unwatch: (() => void) | undefined;

  constructor(
    private readonly options: AcmeSourceOptions,
    private readonly domains: string[],
    keyType: AcmeKeyType,
    storageKey: string,
  ) {
    const { config, registry } = options;
    this.logger = options.logger.child({ component: 'acme', keyType });
    this.storage = options.acme.store;
    this.metrics = acmeMetricsFor(registry);
    this.renewer = new CertificateRenewer({
      domains: this.domains,
      storageKey,
      directoryUrl: directoryUrlFor(config),
      email: config.acmeEmail,
      keyType,
      profile: config.acmeProfile,
      storage: this.storage,
      lock: options.acme.lock,
      challenges: options.challenges,
      selfCheck: selfCheckTarget(config),
      metrics: this.metrics,
      logger: this.logger,
      lockWaitMs: 2 * 60_000,
    });
  }

  /** Watches the stored certificate and starts the renewal checks (after installStored). */
  begin(): void {
    this.unwatch = this.storage.watchCertificate(
      this.renewer.primary,
      () => void this.installStored('stored by another process'),
    );
    // Not awaited: the proxy must be listening on port 80 to answer the challenges of this first check.
    this.schedule(0);
  }

  async reload(): Promise<void> {
    await this.installStored('reload');
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.unwatch?.();
    // An order in flight is left to finish or fail on its own: it holds the lock, which a dead holder cannot keep.
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.check(), Math.min(delayMs, 2 ** 31 - 1));
    this.timer.unref();
  }

  private async check(): Promise<void> {
    if (this.checking) return this.checking;
    this.checking = this.runCheck().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async runCheck(): Promise<void> {
    let nextInMs: number;
    try {
      const outcome = await this.renewer.renew({ purpose: `proxy ${process.pid}: scheduled renewal check` });
      if (outcome.action === 'renewed') {
        this.install(outcome.stored, `issued in ${outcome.durationMs} ms`);
        this.failures = 0;
        const evaluation = await this.renewer.evaluate();
        nextInMs = evaluation.decision.renewAt.getTime() - Date.now();
        this.setNextRenewal(evaluation.decision.renewAt);
        this.setRenewalWindow(evaluation.renewalInfo?.window);
      } else if (outcome.action === 'not-due') {
        this.failures = 0;
        // Another process may have stored a newer certificate while we waited for the lock.
        if (outcome.evaluation.stored) this.install(outcome.evaluation.stored, 'stored by another process');
        const { renewAt, reason } = outcome.evaluation.decision;
        this.setNextRenewal(renewAt);
        this.setRenewalWindow(outcome.evaluation.renewalInfo?.window);
        this.logger.info(
          { renewAt, reason, notAfter: outcome.evaluation.info?.notAfter },
          'certificate not due for renewal',
        );
        nextInMs = renewAt.getTime() - Date.now();
      } else {
        nextInMs = CHECK_INTERVAL_MS;
      }
    } catch (error) {
      if (error instanceof LockBusyError) {
        this.logger.info({ holder: error.holder }, 'another process is ordering a certificate; checking again later');
        nextInMs = LOCK_BUSY_RETRY_MS;
        this.setNextRenewal(new Date(Date.now() + nextInMs));
      } else {
        this.failures += 1;
        const problem = problemOf(error);
        nextInMs = retryDelayMs(this.failures, problem.retryAfterMs);
        const retryAt = new Date(Date.now() + nextInMs);
        this.setNextRenewal(retryAt);
        this.logger.error(
          {
            domains: this.domains,
            problem,
            failures: this.failures,
            retryAt,
            retryInSeconds: Math.round(nextInMs / 1000),
            servedSerial: this.servedSerial,
          },
          'ACME renewal failed; the current certificate keeps serving',
        );
      }
    }
    this.schedule(Math.max(0, Math.min(nextInMs, CHECK_INTERVAL_MS)));
  }

  /** Installs the stored certificate when it differs from the one served. Returns whether one is served now. */
  async installStored(why: string): Promise<boolean> {
    let stored: StoredCertificate | undefined;
    try {
      stored = await this.storage.readCertificate(this.renewer.primary);
    } catch (error) {
      this.logger.error({ err: error }, 'cannot read the stored ACME certificate');
      return this.servedSerial !== undefined;
    }
    if (stored) this.install(stored, why);
    return this.servedSerial !== undefined;
  }

  private install(stored: StoredCertificate, why: string): void {
    if (stored.record.serialNumber === this.servedSerial) return;
    try {
      const served = this.options.store.install(stored.certPem, stored.keyPem, 'acme');
      this.servedSerial = stored.record.serialNumber;
      if (!hasCommonName(stored.certPem))
        this.logger.warn({ names: served.names, serialNumber: served.serialNumber }, COMMON_NAME_WARNING);
      this.logger.info(
        { names: served.names, serialNumber: served.serialNumber, notAfter: served.notAfter, why },
        'serving ACME certificate for new handshakes',
      );
    } catch (error) {
      // A mismatched or corrupt pair is never served; the previous certificate stays.
      this.logger.error({ err: error, path: stored.certPath }, 'stored ACME certificate cannot be served');
    }
  }

  private setNextRenewal(at: Date): void {
    this.metrics.nextRenewal.set({ domain: this.renewer.primary }, Math.floor(at.getTime() / 1000));
  }

  /** The ARI window of the live certificate, for the console's Edge page; absent when the CA offers none. */
  private setRenewalWindow(window: { start: Date; end: Date } | undefined): void {
    const labels = { domain: this.renewer.primary };
    if (!window) {
      this.metrics.ariWindowStart.remove(labels);
      this.metrics.ariWindowEnd.remove(labels);
      return;
    }
    this.metrics.ariWindowStart.set(labels, Math.floor(window.start.getTime() / 1000));
    this.metrics.ariWindowEnd.set(labels, Math.floor(window.end.getTime() / 1000));
  }
}

/** The ACME metrics of a registry, registered once whatever the number of key types (labelled by storage key). */
const metricsByRegistry = new WeakMap<Registry, AcmeMetrics>();
function acmeMetricsFor(registry: Registry): AcmeMetrics {
  let metrics = metricsByRegistry.get(registry);
  if (!metrics) {
    metrics = createAcmeMetrics(registry);
    metricsByRegistry.set(registry, metrics);
  }
  return metrics;
}

/** Our own port-80 listener as seen from this host, for the pre-flight check in order.ts. */
export function selfCheckTarget(config: ProxyConfig): { host: string; port: number; timeoutMs: number } | undefined {
  if (config.httpPort === 0) return undefined; // ephemeral port: unknown here
  const wildcard = config.host === undefined || config.host === '0.0.0.0' || config.host === '::';
  return { host: wildcard ? '127.0.0.1' : (config.host as string), port: config.httpPort, timeoutMs: 10_000 };
}
