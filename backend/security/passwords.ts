// Charge point passwords (OCPP 1.6 security profiles 1 and 2: HTTP Basic at the WebSocket upgrade). Stored as a
// salted scrypt hash, "scrypt$N$r$p$salt$hash" (base64), so the parameters can be raised later without breaking
// stored hashes. Never stored or logged in plain text.

import { createHmac, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const COST = { N: 16384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

export async function hashPassword(password: string | Buffer): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** Constant-time comparison; a malformed stored hash never matches. */
export async function verifyPassword(password: string | Buffer, stored: string): Promise<boolean> {
  const [scheme, n, r, p, saltText, hashText] = stored.split('$');
  if (scheme !== 'scrypt' || !saltText || !hashText) return false;
  const expected = Buffer.from(hashText, 'base64');
  const actual = await derive(
    password,
    Buffer.from(saltText, 'base64'),
    { N: Number(n), r: Number(r), p: Number(p) },
    expected.length,
  );
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * Checks charger passwords, remembering recent successes. scrypt costs about 50 ms of CPU on libuv's four pool
 * threads by design, so a reconnect storm (every charger behind a restarted proxy at once, all with passwords)
 * would queue for many seconds and blow the plan's 100 ms upgrade target. A success is remembered as an HMAC of
 * the password under a key that is random per process, filed under the stored hash: a new password comes with a
 * new salt, so a new stored hash, and the old entry never matches again. Failures are never remembered: every
 * wrong guess costs the full scrypt.
 */
export class PasswordVerifier {
  private readonly key = randomBytes(32);
  private readonly successes = new Map<string, { digest: Buffer; until: number }>();
  /** How many checks ran scrypt, and how many were answered from a remembered success. */
  readonly counts = { derived: 0, remembered: 0 };
  private readonly ttlMs: number;
  private readonly maxEntries: number;

  constructor(options: { ttlMs?: number; maxEntries?: number } = {}) {
    this.ttlMs = options.ttlMs ?? 60 * 60 * 1000;
    this.maxEntries = options.maxEntries ?? 100_000;
  }

  async verify(password: string | Buffer, stored: string): Promise<boolean> {
    const digest = createHmac('sha256', this.key).update(password).digest();
    const success = this.successes.get(stored);
    if (success && success.until > Date.now() && timingSafeEqual(success.digest, digest)) {
      this.counts.remembered++;
      return true;
    }
    this.counts.derived++;
    const matches = await verifyPassword(password, stored);
    if (matches) this.remember(stored, digest);
    return matches;
  }

  private remember(stored: string, digest: Buffer): void {
    this.successes.delete(stored);
    // Map keeps insertion order: the first key is the least recently verified.
    if (this.successes.size >= this.maxEntries) this.successes.delete(this.successes.keys().next().value!);
    this.successes.set(stored, { digest, until: Date.now() + this.ttlMs });
  }
}

function derive(password: string | Buffer, salt: Buffer, cost: ScryptOptions, length = KEY_LENGTH): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, length, { ...cost, maxmem: 64 * 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}
