import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { asText, toCsv } from './csv.js';

describe('toCsv', () => {
  it('quotes by RFC 4180, ends records with CRLF and starts with a BOM', () => {
    const csv = toCsv([
      ['a', 'b,c', 'say "hi"', 'two\nlines', '供电所'],
      [1, '', ' padded '],
    ]);
    expect(csv).toBe('\uFEFFa,"b,c","say ""hi""","two\nlines",供电所\r\n1,," padded "\r\n');
    const back = parse(csv.slice(1), { relax_column_count: true }) as string[][];
    expect(back).toEqual([
      ['a', 'b,c', 'say "hi"', 'two\nlines', '供电所'],
      ['1', '', ' padded '],
    ]);
  });

  it('keeps text that looks like a formula as text', () => {
    expect(['=1+1', '+86', '-x', '@SUM(A1)', '\tx', 'ok', '李四'].map(asText)).toEqual([
      "'=1+1",
      "'+86",
      "'-x",
      "'@SUM(A1)",
      "'\tx",
      'ok',
      '李四',
    ]);
  });
});
