// One instance decides for a charging group at a time: the one holding the group's lease. Two holders would push
// conflicting limits whose sum may exceed the group's. Implementations, side by side:
//   redis-group-lease.ts     with --redis: SET NX PX, renewed by the holder, lapsing when it dies
//   postgres-group-lease.ts  on PostgreSQL without Redis: session advisory locks, released when its connection ends
//   SoleLease (here)         one instance (SQLite): always the holder

export interface GroupLease {
  /** Takes the lease, or renews it when held; false: another instance holds it. */
  hold(groupId: string): Promise<boolean>;
  /** Gives it up (a group deleted, shutdown). */
  release(groupId: string): Promise<void>;
  close(): Promise<void>;
}

/** A backend alone: it decides for every group. */
export class SoleLease implements GroupLease {
  async hold(): Promise<boolean> {
    return true;
  }

  async release(): Promise<void> {}

  async close(): Promise<void> {}
}
