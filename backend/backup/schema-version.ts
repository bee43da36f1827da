// The schema version of a database or a backup: the migrations recorded in kysely_migration. A backup restores
// into this build only when every migration it records is one this build knows (an older backup is migrated
// forward when the backend starts; a newer one needs the release that made it).

export interface SchemaVersion {
  applied: string[];
  latest: string | undefined;
  /** Recorded migrations this build does not know: a backup made by a newer release. */
  unknown: string[];
}

export function schemaVersion(applied: string[], known: readonly string[]): SchemaVersion {
  const sorted = [...applied].sort();
  const knownSet = new Set(known);
  return { applied: sorted, latest: sorted.at(-1), unknown: sorted.filter((name) => !knownSet.has(name)) };
}

export function describeVersion(version: SchemaVersion): string {
  return `${version.applied.length} migrations, latest ${version.latest ?? '(none)'}`;
}
