import { describe, expect, it } from 'vitest';
import { pgArray } from './pg-array.js';

describe('pgArray', () => {
  it('quotes every string, escapes quotes and backslashes, leaves numbers bare', () => {
    expect(pgArray([1, 'a b', 'say "hi"', 'back\\slash', null])).toBe('{1,"a b","say \\"hi\\"","back\\\\slash",NULL}');
  });

  it('gives an empty array for no values', () => {
    expect(pgArray([])).toBe('{}');
  });
});
