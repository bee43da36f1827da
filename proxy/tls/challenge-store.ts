// Pending ACME http-01 challenges as files in {data-dir}/acme-challenges/, one per token. Files rather than
// memory so that every process sharing the data dir (several proxies behind a balancer, or the `certs` command)
// answers every token, whichever of them asked the CA.

import { mkdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import type { ChallengeStore } from './types.js';

/** RFC 8555 §8.3: a token is base64url; anything else can never be ours (and must never become a path). */
const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

export function isChallengeToken(token: string): boolean {
  return TOKEN.test(token);
}

export class FileChallengeStore implements ChallengeStore {
  constructor(readonly directory: string) {}

  async get(token: string): Promise<string | undefined> {
    if (!isChallengeToken(token)) return undefined;
    try {
      return await readFile(path.join(this.directory, token), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async set(token: string, keyAuthorization: string): Promise<void> {
    if (!isChallengeToken(token)) throw new Error(`invalid ACME challenge token ${JSON.stringify(token)}`);
    await mkdir(this.directory, { recursive: true });
    // Atomically, so a concurrent reader never sees a half-written answer.
    await writeFileAtomic(path.join(this.directory, token), keyAuthorization, 0o644);
  }

  async remove(token: string): Promise<void> {
    if (!isChallengeToken(token)) return;
    try {
      await unlink(path.join(this.directory, token));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}
