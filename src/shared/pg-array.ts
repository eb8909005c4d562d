/**
 * A PostgreSQL array literal ('{"a","b"}') for one `?::type[]` parameter, so a batch of any size is
 * one statement (`unnest(?::int[], ?::text[])`) instead of a VALUES list with a placeholder per
 * cell. Strings are quoted and escaped, numbers written bare; null becomes NULL.
 */
export function pgArray(values: readonly (string | number | bigint | null | undefined)[]): string {
  return `{${values.map(element).join(',')}}`;
}

const NEEDS_ESCAPE = /["\\]/;

function element(value: string | number | bigint | null | undefined): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value !== 'string') return String(value); // numbers need no quotes
  const text = value;
  // Ingestion sends hundreds of thousands of plain numbers and instants: test before replacing.
  return NEEDS_ESCAPE.test(text) ? `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"` : `"${text}"`;
}
