// CSV as RFC 4180 writes it (fields quoted when they hold a comma, quote or line break; quotes doubled), for the
// id-tag import and export. Small enough to keep here rather than take a dependency for one table.

export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"' && field === '') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.some((value) => value !== '')) rows.push(row);
      row = [];
    } else field += char;
  }
  if (quoted) throw new Error('unterminated quoted field');
  row.push(field);
  if (row.some((value) => value !== '')) rows.push(row);
  return rows;
}

export function toCsv(rows: ReadonlyArray<ReadonlyArray<string | null>>): string {
  return rows
    .map((row) =>
      row
        .map((value) => (value === null ? '' : /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value))
        .join(','),
    )
    .join('\r\n')
    .concat('\r\n');
}

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
