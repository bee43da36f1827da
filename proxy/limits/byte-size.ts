// Sizes as nginx writes them: 1048576, 64k, 1m, 1g (case-insensitive, powers of 1024).

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

export function parseByteSize(text: string): number | undefined {
  const match = /^\s*(\d+)\s*([kmg]?)b?\s*$/i.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * UNITS[match[2]!.toLowerCase()]!;
}
