// Splits a list into consecutive parts of at most `size` items (the last may be shorter): messages with a size
// limit (SendLocalList), multi-row statements with a bound-parameter limit.

export function chunked<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer: ${size}`);
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}
