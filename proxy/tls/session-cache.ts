// Server-side TLS session cache (`ssl_session_cache shared:SSL:10m`) for TLS 1.2 clients that resume by session
// id rather than by ticket. Node leaves caching to the application ('newSession'/'resumeSession'); this one is a
// bounded map in insertion order, so the oldest sessions go first when it is full.
//
// TLS 1.3 sessions are not kept: OpenSSL reports one per ticket (two per handshake), but a TLS 1.3 client resumes
// with the ticket itself and never by session id, so those entries were never read. Keeping them cost every
// charger's handshake a map insert and about 1 KB of long-lived small allocations (measured in docs/PERFORMANCE.md).

import type { Server as TlsServer } from 'node:tls';
import { SESSION_TIMEOUT_SECONDS } from './tls-options.js';

/** nginx's 10 MB cache holds about 40 000 sessions; a serialised session is a few hundred bytes here too. */
const DEFAULT_MAX_SESSIONS = 20_000;

interface CachedSession {
  data: Buffer;
  expiresAt: number;
}

export class TlsSessionCache {
  private readonly sessions = new Map<string, CachedSession>();

  constructor(
    private readonly maxSessions = DEFAULT_MAX_SESSIONS,
    private readonly ttlMs = SESSION_TIMEOUT_SECONDS * 1000,
  ) {}

  attach(server: TlsServer): void {
    server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
      if (!isTls13Session(data)) this.store(id, data);
      done();
    });
    server.on('resumeSession', (id: Buffer, done: (error: Error | null, data?: Buffer | null) => void) => {
      done(null, this.find(id) ?? null);
    });
  }

  get size(): number {
    return this.sessions.size;
  }

  private store(id: Buffer, data: Buffer): void {
    if (this.sessions.size >= this.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    this.sessions.set(id.toString('hex'), { data, expiresAt: Date.now() + this.ttlMs });
  }

  private find(id: Buffer): Buffer | undefined {
    const key = id.toString('hex');
    const session = this.sessions.get(key);
    if (!session) return undefined;
    if (session.expiresAt <= Date.now()) {
      this.sessions.delete(key);
      return undefined;
    }
    return session.data;
  }
}

/**
 * Whether a serialised session (DER, OpenSSL's SSL_SESSION_ASN1) is a TLS 1.3 one: SEQUENCE { INTEGER 1 (format
 * version), INTEGER ssl_version (0x0304 for TLS 1.3), ... }. Anything unexpected counts as not TLS 1.3 (kept).
 */
export function isTls13Session(data: Buffer): boolean {
  if (data.length < 8 || data[0] !== 0x30) return false;
  // Definite length: short form, or long form with 1 or 2 length bytes.
  const lengthBytes = data[1]! < 0x80 ? 0 : data[1]! & 0x7f;
  const start = 2 + lengthBytes;
  return (
    data[start] === 0x02 &&
    data[start + 1] === 0x01 &&
    data[start + 2] === 0x01 &&
    data[start + 3] === 0x02 &&
    data[start + 4] === 0x02 &&
    data[start + 5] === 0x03 &&
    data[start + 6] === 0x04
  );
}
