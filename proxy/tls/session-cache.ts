// Server-side TLS session cache (`ssl_session_cache shared:SSL:10m`) for TLS 1.2 clients that resume by session
// id rather than by ticket. Node leaves caching to the application ('newSession'/'resumeSession'); this one is a
// bounded map in insertion order, so the oldest sessions go first when it is full.

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
      this.store(id, data);
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
