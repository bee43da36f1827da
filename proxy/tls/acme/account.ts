// The ACME account: one key per directory, created once and kept in the data dir, and the acme-client Client
// bound to it. Registration is idempotent (RFC 8555 §7.3.1: newAccount with an existing key returns that account).

import { generateKeyPairSync } from 'node:crypto';
import acme from 'acme-client';
import type { Logger } from '../../../common/logger.js';
import type { AcmeStore } from './store.js';

export const LETS_ENCRYPT_PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory';
export const LETS_ENCRYPT_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory';

/** --acme-staging wins over --acme-directory (it is the more specific wish). */
export function directoryUrlFor(config: { acmeDirectory: string; acmeStaging: boolean }): string {
  return config.acmeStaging ? LETS_ENCRYPT_STAGING : config.acmeDirectory;
}

/** Where `certs renew --dry-run` orders: staging instead of Let's Encrypt production, otherwise the directory given. */
export function dryRunDirectoryUrl(directoryUrl: string): string {
  return directoryUrl === LETS_ENCRYPT_PRODUCTION ? LETS_ENCRYPT_STAGING : directoryUrl;
}

export interface DirectoryFacts {
  /** RFC 9773 endpoint, when the CA offers ARI. */
  renewalInfo: string | undefined;
  /** Profile names the CA advertises (draft-aaron-acme-profiles), empty when none. */
  profiles: string[];
}

export interface AcmeAccount {
  client: acme.Client;
  directoryUrl: string;
}

export interface AccountOptions {
  storage: AcmeStore;
  directoryUrl: string;
  email: string | undefined;
  logger: Logger;
}

/** Loads or creates the account key, registers (or finds) the account and returns a ready client. */
export async function openAccount(options: AccountOptions): Promise<AcmeAccount> {
  const { storage, directoryUrl, email, logger } = options;
  let stored = await storage.readAccount(directoryUrl);
  if (!stored) {
    // ECDSA P-256 account key: small JWS signatures, and what Let's Encrypt recommends.
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await storage.writeAccountKey(directoryUrl, keyPem);
    stored = { keyPem, url: undefined };
    logger.info({ directory: directoryUrl, path: storage.accountLocation(directoryUrl) }, 'created ACME account key');
  }
  const client = new acme.Client({
    directoryUrl,
    accountKey: stored.keyPem,
    // Polling of challenges and orders: again after 0.5 s, then doubling up to 10 s, for about 2 minutes.
    backoffAttempts: 16,
    backoffMin: 500,
    backoffMax: 10_000,
  });
  // Always newAccount (not the stored URL): one request per process, and it recovers by itself when the CA no
  // longer knows the account (a test CA restarted, an account deactivated by the CA) and updates the contact.
  await client.createAccount({ termsOfServiceAgreed: true, contact: email ? [`mailto:${email}`] : [] });
  const url = client.getAccountUrl();
  if (url !== stored.url) {
    await storage.writeAccountRecord(directoryUrl, {
      url,
      directory: directoryUrl,
      email,
      createdAt: new Date().toISOString(),
    });
    logger.info({ directory: directoryUrl, account: url, email }, 'registered ACME account');
  }
  return { client, directoryUrl };
}

/** What the directory offers beyond RFC 8555 (acme-client does not expose it). Unauthenticated GET. */
export async function readDirectory(directoryUrl: string): Promise<DirectoryFacts> {
  const response = await acme.axios.get(directoryUrl, { validateStatus: () => true, responseType: 'json' });
  if (response.status !== 200) throw new Error(`ACME directory ${directoryUrl} answered HTTP ${response.status}`);
  const body = response.data as { renewalInfo?: unknown; meta?: { profiles?: Record<string, unknown> } };
  return {
    renewalInfo: typeof body.renewalInfo === 'string' ? body.renewalInfo : undefined,
    profiles: Object.keys(body.meta?.profiles ?? {}),
  };
}
