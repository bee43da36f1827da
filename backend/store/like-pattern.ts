// A case-insensitive substring search for SQL LIKE (with ESCAPE '\'), the same on SQLite and PostgreSQL: the
// search is lower-cased and its own wildcards (% and _) and backslashes are taken literally.

export function containsPattern(search: string): string {
  return `%${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
