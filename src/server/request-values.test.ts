import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  checkVariables,
  isStorableText,
  MAX_VALUE_DEPTH,
  storableLiteralsRule,
  valueIssues,
} from './request-values.js';

const nested = (depth: number) => {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};

describe('request values', () => {
  it('tells text PostgreSQL can store from text it cannot', () => {
    expect(isStorableText('Youjiang 右江 😀 e\u0301')).toBe(true);
    expect(isStorableText('a\u0000b')).toBe(false);
    expect(isStorableText('\ud800')).toBe(false);
    expect(isStorableText('a\udc00b')).toBe(false);
    expect(isStorableText('\ud83d\ude00')).toBe(true);
  });

  it('finds NUL characters and unpaired surrogates in values and keys, with their paths', () => {
    const issues = valueIssues({ input: { name: 'ok', rows: [{ address: 'x\u0000' }], settings: { '\ud800': 1 } } }, [
      'vars',
    ]);
    expect(issues.map((i) => i.path)).toEqual([
      ['vars', 'input', 'rows', 0, 'address'],
      ['vars', 'input', 'settings', '\ud800'],
    ]);
  });

  it(`refuses nesting deeper than ${MAX_VALUE_DEPTH} levels, quickly however deep it goes`, () => {
    expect(valueIssues(nested(MAX_VALUE_DEPTH))).toEqual([]);
    const start = Date.now();
    const issues = valueIssues(nested(200_000));
    expect(Date.now() - start).toBeLessThan(1000);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toHaveLength(MAX_VALUE_DEPTH);
    expect(issues[0]!.message).toMatch(/nested more than 64 levels/);
  });

  it('reports at most 20 issues', () => {
    expect(valueIssues(Array.from({ length: 1000 }, () => '\u0000'))).toHaveLength(20);
  });

  it('makes one BAD_USER_INPUT error of the issues of the variables', () => {
    expect(checkVariables({ input: { name: 'fine' } })).toBeUndefined();
    expect(checkVariables(undefined)).toBeUndefined();
    const error = checkVariables({ input: { name: '\u0000' } })!;
    expect(error.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ path: ['input', 'name'], message: expect.stringMatching(/NUL/) }],
    });
  });

  it('refuses string literals with a NUL character in the operation', () => {
    const schema = buildSchema('type Query { echo(text: String): String }');
    expect(validate(schema, parse('{ echo(text: "fine") }'), [storableLiteralsRule])).toEqual([]);
    const errors = validate(schema, parse('{ echo(text: "a\\u0000b") }'), [storableLiteralsRule]);
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/must not contain the NUL character/)]);
  });
});
