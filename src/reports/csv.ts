import { stringify } from 'csv-stringify/sync';

/** Excel opens UTF-8 (Chinese names) only when the file starts with a byte order mark. */
const BOM = '\uFEFF';
/**
 * Text a spreadsheet would take for a formula (=, +, -, @, tab, carriage return first) is kept as
 * text with a leading apostrophe: a customer's name must not run in the clerk's Excel. Applied to
 * free text only, never to the numbers.
 */
export function asText(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** RFC 4180 (quotes doubled, fields with commas, quotes or line breaks quoted, CRLF) with a BOM. */
export function toCsv(rows: readonly (readonly (string | number)[])[]): string {
  return (
    BOM + stringify(rows as (string | number)[][], { record_delimiter: 'windows', quoted_match: [/^\s|\s$/, /[\r\n]/] })
  );
}
