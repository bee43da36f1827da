// The group lease as PostgreSQL session advisory locks (pg_try_advisory_lock), all held on one connection kept
// for the purpose: an instance that dies loses its connection, and PostgreSQL releases its locks at once; one that
// stops lets go of them before its connection returns to the pool. The lock
// key is hashed from the schema and the group id, so deployments sharing a database do not block each other.

import { sql, type Kysely } from 'kysely';
import type { GroupLease } from './group-lease.js';

type Query = <T>(run: (db: Kysely<unknown>) => Promise<T>) => Promise<T>;

export class PostgresGroupLease implements GroupLease {
  private session: Promise<Query> | undefined;
  private end: (() => void) | undefined;
  private readonly held = new Set<string>();

  constructor(private readonly db: Kysely<unknown>) {}

  async hold(groupId: string): Promise<boolean> {
    if (this.held.has(groupId)) {
      // Still ours while the connection lives: ask it (a PostgreSQL restart ends the session and its locks).
      const alive = await this.query((db) => sql`select 1`.execute(db)).then(
        () => true,
        () => false,
      );
      if (alive) return true;
      this.held.clear();
      this.dropSession();
    }
    try {
      const { rows } = await this.query((db) =>
        sql<{ locked: boolean }>`select pg_try_advisory_lock(${lockKey(groupId)}) as locked`.execute(db),
      );
      if (rows[0]?.locked) this.held.add(groupId);
      return rows[0]?.locked === true;
    } catch {
      this.dropSession();
      return false;
    }
  }

  async release(groupId: string): Promise<void> {
    if (!this.held.delete(groupId)) return;
    await this.query((db) => sql`select pg_advisory_unlock(${lockKey(groupId)})`.execute(db)).catch(() => undefined);
  }

  async close(): Promise<void> {
    // The connection goes back to the pool, not away: its session's locks must be let go of by hand.
    if (this.session) await this.query((db) => sql`select pg_advisory_unlock_all()`.execute(db)).catch(() => undefined);
    this.held.clear();
    this.dropSession();
  }

  /** Runs on the lease's own connection, opened on first use. */
  private async query<T>(run: (db: Kysely<unknown>) => Promise<T>): Promise<T> {
    this.session ??= new Promise<Query>((ready, failed) => {
      this.db
        .connection()
        .execute(
          (connection) =>
            new Promise<void>((done) => {
              // One query at a time on it.
              let queue: Promise<unknown> = Promise.resolve();
              this.end = done;
              ready((next) => {
                const result = queue.then(() => next(connection));
                queue = result.catch(() => undefined);
                return result;
              });
            }),
        )
        .catch(failed);
    });
    const query = await this.session;
    return query(run);
  }

  private dropSession(): void {
    this.end?.();
    this.end = undefined;
    this.session = undefined;
  }
}

/** A bigint key from the schema and the group id. */
function lockKey(groupId: string) {
  return sql`hashtextextended(current_schema() || ':ocpp-edge-group:' || ${groupId}, 0)`;
}
