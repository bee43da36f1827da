// --acme-store redis: the ACME account and certificates in Redis (keys in redis-keys.ts), so proxies on several
// machines behind DNS round robin or an L4 balancer serve one certificate and need one account. The second
// implementation of store.ts's AcmeStore, beside the data-dir one in file-store.ts.
//
// A certificate is one hash (record, chain and key) written by one HSET inside a MULTI: a reader sees the old
// triple or the new one, never a new key with an old chain, and a failed write changes nothing. The same MULTI
// keeps the replaced certificate under `…:previous` and announces the new one on a pub/sub channel; every proxy
// also re-reads every WATCH_POLL_MS and after each reconnection, since pub/sub drops messages sent while a
// subscriber is disconnected.
//
// The private keys (account and certificates) are as sensitive here as in the data dir: anyone who can read this
// Redis can impersonate the domain. Use Redis AUTH (an ACL user limited to `~ocpp-edge:*`), TLS (rediss://) when
// Redis is not on the same host, and no Redis persistence files readable by others. See docs/SCALING.md.

import type { Redis } from 'ioredis';
import { redactUrlPassword } from '../../../common/config.js';
import type { Logger } from '../../../common/logger.js';
import { acmeKeys } from './redis-keys.js';
import {
  parseJson,
  type AccountRecord,
  type AcmeStore,
  type CurrentRecord,
  type StoredAccount,
  type StoredCertificate,
} from './store.js';

/** Safety net for lost pub/sub messages: how often each watcher re-reads the live certificate. */
const WATCH_POLL_MS = 10_000;

export interface RedisAcmeStoreOptions {
  /** Commands. */
  redis: Redis;
  /** A connection of its own for SUBSCRIBE (a subscribed connection can run nothing else). */
  subscriber: Redis;
  url: string;
  logger: Logger;
}

export class RedisAcmeStore implements AcmeStore {
  readonly location: string;
  private readonly redis: Redis;
  private readonly watchers = new Map<string, Set<() => void>>();
  private subscribed = false;

  constructor(private readonly options: RedisAcmeStoreOptions) {
    this.redis = options.redis;
    this.location = `${redactUrlPassword(options.url)} ${acmeKeys.certificate('*')}`;
  }

  accountLocation(directoryUrl: string): string {
    return `${redactUrlPassword(this.options.url)} ${acmeKeys.account(directoryUrl)}`;
  }

  async readAccount(directoryUrl: string): Promise<StoredAccount | undefined> {
    const fields = await this.redis.hgetall(acmeKeys.account(directoryUrl));
    if (!fields.key) return undefined;
    return { keyPem: fields.key, url: parseJson<AccountRecord>(fields.record)?.url };
  }

  async writeAccountKey(directoryUrl: string, keyPem: string): Promise<void> {
    await this.redis.hset(acmeKeys.account(directoryUrl), 'key', keyPem);
  }

  async writeAccountRecord(directoryUrl: string, record: AccountRecord): Promise<void> {
    await this.redis.hset(acmeKeys.account(directoryUrl), 'record', JSON.stringify(record));
  }

  async readCertificate(domain: string): Promise<StoredCertificate | undefined> {
    const key = acmeKeys.certificate(domain);
    const fields = await this.redis.hgetall(key);
    const record = parseJson<CurrentRecord>(fields.record);
    if (!record || !fields.cert || !fields.key) return undefined;
    return { record, certPem: fields.cert, keyPem: fields.key, certPath: `${key}#cert`, keyPath: `${key}#key` };
  }

  async writeCertificate(
    domain: string,
    certPem: string,
    keyPem: string,
    record: Omit<CurrentRecord, 'version'>,
  ): Promise<StoredCertificate> {
    const key = acmeKeys.certificate(domain);
    const version = `${new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z')}-${record.serialNumber.slice(-8).toLowerCase()}`;
    const current: CurrentRecord = { version, ...record };
    const results = await this.redis
      .multi()
      .copy(key, acmeKeys.previousCertificate(domain), 'REPLACE')
      .hset(key, { record: JSON.stringify(current), cert: certPem, key: keyPem })
      .sadd(acmeKeys.domains, domain.toLowerCase())
      .publish(acmeKeys.certificateStored, domain.toLowerCase())
      .exec();
    const failed = results?.find(([error]) => error);
    if (!results || failed)
      throw failed?.[0] ?? new Error('the Redis transaction storing the certificate was discarded');
    return { record: current, certPem, keyPem, certPath: `${key}#cert`, keyPath: `${key}#key` };
  }

  async listDomains(): Promise<string[]> {
    return (await this.redis.smembers(acmeKeys.domains)).sort();
  }

  watchCertificate(domain: string, onChange: () => void): () => void {
    const name = domain.toLowerCase();
    let listeners = this.watchers.get(name);
    if (!listeners) {
      listeners = new Set();
      this.watchers.set(name, listeners);
    }
    listeners.add(onChange);
    this.subscribe();
    const poll = setInterval(onChange, WATCH_POLL_MS);
    poll.unref();
    return () => {
      clearInterval(poll);
      listeners.delete(onChange);
    };
  }

  private subscribe(): void {
    if (this.subscribed) return;
    this.subscribed = true;
    const { subscriber, logger } = this.options;
    subscriber.on('message', (_channel: string, domain: string) => this.notify(domain));
    const onReady = () => {
      subscriber
        .subscribe(acmeKeys.certificateStored)
        .catch((error: Error) => logger.warn({ err: error.message }, 'cannot subscribe to certificate announcements'));
      // Whatever was announced while we were away.
      for (const domain of this.watchers.keys()) this.notify(domain);
    };
    subscriber.on('ready', onReady);
    if (subscriber.status === 'ready') onReady();
  }

  private notify(domain: string): void {
    for (const listener of this.watchers.get(domain) ?? []) listener();
  }
}
