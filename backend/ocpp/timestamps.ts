// Timestamps as real chargers send them. OCPP 1.6 asks for RFC 3339 with a zone, but firmware in the field sends
// offsets without minutes ("2025-03-01T10:00:00+03") or no zone at all. We accept both and store UTC.

const ZONED = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * UTC ISO-8601 with milliseconds, or undefined when the text is not a date and time. A missing zone is read as
 * UTC: OCPP 1.6 (errata 4.0) says timestamps should be UTC, and the charger's local zone is unknown to us.
 */
export function toUtc(text: string): string | undefined {
  const match = ZONED.exec(text.trim());
  if (!match) return undefined;
  const [, date, time, zone] = match;
  if (!isCalendarDate(date)) return undefined;
  const offset = !zone || zone.toUpperCase() === 'Z' ? 'Z' : normaliseOffset(zone);
  const parsed = new Date(`${date}T${time}${offset}`);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed.toISOString();
}

function normaliseOffset(zone: string): string {
  const digits = zone.slice(1).replace(':', '');
  const hours = digits.slice(0, 2);
  const minutes = digits.length > 2 ? digits.slice(2, 4) : '00';
  return `${zone[0]}${hours}:${minutes}`;
}

/** Date would roll 2025-02-30 over to 2025-03-02; a charger's clock must not move a transaction by days. */
function isCalendarDate(date: string): boolean {
  const [year, month, day] = date.split('-').map(Number);
  const check = new Date(Date.UTC(year, month - 1, day));
  return check.getUTCFullYear() === year && check.getUTCMonth() === month - 1 && check.getUTCDate() === day;
}
