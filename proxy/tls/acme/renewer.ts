// Decides whether the certificate of a set of domains needs renewing and, if so, renews it: under the ACME lock
// (data dir or Redis, see lock.ts), re-reading what is stored after getting the lock (another process may have
// just renewed), ordering, and storing the result. Shared by the proxy's ACME source (scheduled) and `ocpp-edge certs renew` (on demand).

import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { Logger } from '../../../common/logger.js';
import type { ChallengeStore } from '../types.js';
import { dryRunDirectoryUrl, openAccount, readDirectory, type AcmeAccount, type DirectoryFacts } from './account.js';
import { fetchRenewalInfo, type RenewalInfo } from './ari.js';
import { readCertificateInfo, type CertificateInfo } from './certificate-info.js';
import type { AcmeLock } from './lock.js';
import type { AcmeMetrics } from './metrics.js';
import { orderCertificate, type AcmeKeyType } from './order.js';
import { AcmeOperationError, problemOf, withProblemCapture } from './problem.js';
import { ariRenewalTime, decideRenewal, type RenewalDecision, type RenewalWindow } from './renewal-schedule.js';
import type { AcmeStore, StoredCertificate } from './store.js';

const DIRECTORY_MAX_AGE_MS = 24 * 60 * 60_000;

export interface RenewerOptions {
  domains: string[];
  directoryUrl: string;
  email: string | undefined;
  keyType: AcmeKeyType;
  profile: string | undefined;
  storage: AcmeStore;
  lock: AcmeLock;
  challenges: ChallengeStore;
  selfCheck: { host: string; port: number; timeoutMs: number } | undefined;
  metrics: AcmeMetrics;
  logger: Logger;
  /** How long to wait for another process's order before giving up this attempt. */
  lockWaitMs?: number;
  /** Where the certificate is stored (store.ts certificateStorageKey); default: the primary domain. */
  storageKey?: string;
}

export interface Evaluation {
  stored: StoredCertificate | undefined;
  info: CertificateInfo | undefined;
  decision: RenewalDecision;
  /** The ARI answer the decision used, when the CA offers ARI. */
  renewalInfo: RenewalInfo | undefined;
}

export type RenewOutcome =
  | { action: 'renewed'; stored: StoredCertificate; durationMs: number }
  | { action: 'dry-run'; info: CertificateInfo; directoryUrl: string; durationMs: number }
  | { action: 'not-due'; evaluation: Evaluation };

export class CertificateRenewer {
  readonly primary: string;
  private account: Promise<AcmeAccount> | undefined;
  private directoryFacts: { facts: DirectoryFacts; fetchedAt: number } | undefined;
  private ari: { certId: string; info: RenewalInfo; fetchedAt: number; renewAt: Date } | undefined;

  constructor(private readonly options: RenewerOptions) {
    this.primary = options.storageKey ?? options.domains[0];
  }

  /** Reads the stored certificate and, when the CA offers ARI, its renewal window; decides when to renew. */
  async evaluate(now = new Date()): Promise<Evaluation> {
    const { storage, domains, keyType, directoryUrl } = this.options;
    const stored = await storage.readCertificate(this.primary);
    if (!stored)
      return {
        stored,
        info: undefined,
        renewalInfo: undefined,
        decision: { renewAt: now, reason: 'no certificate stored yet' },
      };
    let info: CertificateInfo;
    try {
      info = readCertificateInfo(stored.certPem);
    } catch (error) {
      return {
        stored,
        info: undefined,
        renewalInfo: undefined,
        decision: { renewAt: now, reason: `stored certificate unreadable: ${(error as Error).message}` },
      };
    }
    const renewalInfo = stored.record.directory === directoryUrl ? await this.renewalInfoFor(info) : undefined;
    const ari = renewalInfo && this.ari ? { window: renewalInfo.window, renewAt: this.ari.renewAt } : undefined;
    const decision = decideRenewal(
      {
        names: info.names,
        keyType: info.keyType,
        directory: stored.record.directory,
        notBefore: info.notBefore,
        notAfter: info.notAfter,
        issuedAt: parseDate(stored.record.issuedAt),
      },
      { domains, keyType, directory: directoryUrl },
      ari,
      now,
    );
    return { stored, info, decision, renewalInfo };
  }

  /**
   * Renews when due (or when forced). A dry run orders from the staging directory and stores nothing, so it takes
   * no lock and never replaces what is served.
   */
  async renew(options: { force?: boolean; dryRun?: boolean; purpose: string }): Promise<RenewOutcome> {
    if (options.dryRun) return this.dryRun();
    const { lock, logger } = this.options;
    if (!options.force) {
      // The common case (hourly, nothing due) needs no lock: every process can see that on its own.
      const evaluation = await this.evaluate();
      if (evaluation.decision.renewAt.getTime() > Date.now()) return { action: 'not-due', evaluation };
    }
    const held = await lock.acquire(options.purpose, this.options.lockWaitMs ?? 10 * 60_000);
    try {
      // Only now is the stored state authoritative: whoever held the lock before us may have renewed.
      const evaluation = await this.evaluate();
      if (!options.force && evaluation.decision.renewAt.getTime() > Date.now())
        return { action: 'not-due', evaluation };
      logger.info(
        { domains: this.options.domains, reason: options.force ? 'forced' : evaluation.decision.reason },
        'renewing certificate',
      );
      const started = Date.now();
      const stored = await this.orderAndStore(evaluation);
      return { action: 'renewed', stored, durationMs: Date.now() - started };
    } finally {
      await held.release();
    }
  }

  private async orderAndStore(evaluation: Evaluation): Promise<StoredCertificate> {
    const { storage, domains, keyType, directoryUrl, metrics, logger } = this.options;
    try {
      const account = await withProblemCapture(
        () => 'registering the ACME account',
        () => this.openAccount(),
      );
      const facts = await withProblemCapture(
        () => 'reading the ACME directory',
        () => this.directory(),
      );
      // RFC 9773 §5: name the certificate being replaced, only when the CA speaks ARI and the old one is from it.
      const replaces =
        facts.renewalInfo && evaluation.stored?.record.directory === directoryUrl
          ? evaluation.info?.ariCertId
          : undefined;
      let issued: Awaited<ReturnType<typeof orderCertificate>>;
      try {
        issued = await orderCertificate(this.orderRequest(account, replaces));
      } catch (error) {
        // The CA refuses `replaces` when the old certificate was already replaced (or it does not know it): the
        // renewal itself is still wanted, so order once more without it.
        const refusedAtCreation = error instanceof AcmeOperationError && error.step === 'creating order';
        if (!replaces || !refusedAtCreation || !/alreadyReplaced|malformed|conflict/.test(problemOf(error).type))
          throw error;
        logger.warn({ problem: problemOf(error), replaces }, 'order with "replaces" refused, ordering without it');
        issued = await orderCertificate(this.orderRequest(account, undefined));
      }
      checkKeyMatches(issued.certPem, issued.keyPem);
      const info = readCertificateInfo(issued.certPem);
      const stored = await storage.writeCertificate(this.primary, issued.certPem, issued.keyPem, {
        domains,
        keyType,
        directory: directoryUrl,
        serialNumber: info.serialNumber,
        notBefore: info.notBefore.toISOString(),
        notAfter: info.notAfter.toISOString(),
        issuedAt: new Date().toISOString(),
        ...(replaces ? { replaced: replaces } : {}),
      });
      metrics.orders.inc({ result: 'success' });
      logger.info(
        {
          domains,
          serialNumber: info.serialNumber,
          notAfter: info.notAfter,
          issuer: info.issuer,
          order: issued.orderUrl,
          path: stored.certPath,
        },
        'certificate issued and stored',
      );
      return stored;
    } catch (error) {
      metrics.orders.inc({ result: 'failure' });
      // Register again next time: cheap, and it heals an account the CA no longer knows.
      this.account = undefined;
      throw error;
    }
  }

  private async dryRun(): Promise<RenewOutcome> {
    const directoryUrl = dryRunDirectoryUrl(this.options.directoryUrl);
    const started = Date.now();
    const account = await withProblemCapture(
      () => 'registering the ACME account',
      () =>
        openAccount({
          storage: this.options.storage,
          directoryUrl,
          email: this.options.email,
          logger: this.options.logger,
        }),
    );
    const issued = await orderCertificate(this.orderRequest(account, undefined));
    checkKeyMatches(issued.certPem, issued.keyPem);
    return {
      action: 'dry-run',
      info: readCertificateInfo(issued.certPem),
      directoryUrl,
      durationMs: Date.now() - started,
    };
  }

  private orderRequest(account: AcmeAccount, replaces: string | undefined) {
    const { domains, keyType, profile, challenges, selfCheck, logger } = this.options;
    return { client: account.client, domains, keyType, profile, replaces, challenges, selfCheck, logger };
  }

  private openAccount(): Promise<AcmeAccount> {
    const { storage, directoryUrl, email, logger } = this.options;
    this.account ??= openAccount({ storage, directoryUrl, email, logger }).catch((error: unknown) => {
      this.account = undefined; // try again next time
      throw error;
    });
    return this.account;
  }

  /** The directory's extras, re-read daily (a CA may start offering ARI or profiles). */
  private async directory(): Promise<DirectoryFacts> {
    if (this.directoryFacts && Date.now() - this.directoryFacts.fetchedAt < DIRECTORY_MAX_AGE_MS)
      return this.directoryFacts.facts;
    const facts = await readDirectory(this.options.directoryUrl);
    this.directoryFacts = { facts, fetchedAt: Date.now() };
    const { profile, logger } = this.options;
    if (profile && !facts.profiles.includes(profile)) {
      logger.warn(
        { profile, offered: facts.profiles },
        'the ACME directory does not advertise this profile; requesting it anyway',
      );
    }
    return facts;
  }

  /** ARI for the stored certificate, re-fetched when the CA's Retry-After has passed. Failures fall back to the lifetime rule. */
  private async renewalInfoFor(info: CertificateInfo): Promise<RenewalInfo | undefined> {
    const { logger } = this.options;
    if (!info.ariCertId) return undefined;
    try {
      const facts = await this.directory();
      if (!facts.renewalInfo) return undefined;
      const cached = this.ari?.certId === info.ariCertId ? this.ari : undefined;
      if (cached && Date.now() - cached.fetchedAt < cached.info.retryAfterMs) return cached.info;
      const fetched = await fetchRenewalInfo(facts.renewalInfo, info.ariCertId);
      const renewAt = ariRenewalTime(
        fetched.window,
        cached ? { window: cached.info.window, renewAt: cached.renewAt } : undefined,
      );
      this.ari = { certId: info.ariCertId, info: fetched, fetchedAt: Date.now(), renewAt };
      logger.info(
        { certId: info.ariCertId, window: windowForLog(fetched.window), renewAt, explanation: fetched.explanationUrl },
        'ACME renewal information',
      );
      return fetched;
    } catch (error) {
      logger.warn(
        { err: error, certId: info.ariCertId },
        'could not fetch ACME renewal information; using the lifetime rule',
      );
      return undefined;
    }
  }
}

function checkKeyMatches(certPem: string, keyPem: string): void {
  if (!new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem)))
    throw new Error('issued certificate does not match its private key');
}

function parseDate(value: string | undefined): Date | undefined {
  const time = value ? Date.parse(value) : NaN;
  return Number.isFinite(time) ? new Date(time) : undefined;
}

function windowForLog(window: RenewalWindow): { start: string; end: string } {
  return { start: window.start.toISOString(), end: window.end.toISOString() };
}
