// CSV as spreadsheets read it (RFC 4180): comma-separated, CRLF lines, fields quoted when they hold a comma, a
// quote or a line break. A text field that starts like a formula (= + - @, tab, CR) is prefixed with an
// apostrophe, so an id tag a charger sent cannot run in the operator's spreadsheet (CSV injection).

export function csvRow(values: ReadonlyArray<string | number | null | undefined>): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
