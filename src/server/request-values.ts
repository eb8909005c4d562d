import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type ValidationRule } from 'graphql';
import { badInput, type FieldIssue } from '../shared/errors.js';

/**
 * What the values of a request may hold, checked for every operation before any resolver runs, so
 * that no module has to remember it:
 * - text PostgreSQL can store. It refuses the NUL character (U+0000) in text and jsonb, which
 *   would surface as a database error deep inside a mutation; an unpaired UTF-16 surrogate would be
 *   replaced by U+FFFD on its way to the database, so the stored text would differ from the sent.
 * - nesting of at most MAX_VALUE_DEPTH levels. JSON arguments (plugin settings) are free-form, and
 *   the validation and serialisation they go through recurse: a value nested ten thousand levels
 *   deep would overflow the stack.
 */
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const NOT_STORABLE = 'must not contain the NUL character (U+0000) or an unpaired surrogate';
export const MAX_VALUE_DEPTH = 64;
const TOO_DEEP = `is nested more than ${MAX_VALUE_DEPTH} levels deep`;
const MAX_ISSUES = 20;

export function isStorableText(text: string): boolean {
  return !text.includes('\u0000') && !UNPAIRED_SURROGATE.test(text);
}

interface Step {
  value: unknown;
  key: string | number | undefined;
  parent: Step | undefined;
  depth: number;
}

const pathOf = (step: Step, root: (string | number)[]) => {
  const keys: (string | number)[] = [];
  for (let s: Step | undefined = step; s?.key !== undefined; s = s.parent) keys.push(s.key);
  return [...root, ...keys.reverse()];
};

/**
 * Problems in `value` (at most 20), each with its path. Walks with its own stack and builds a path
 * only for a problem: copying paths on the way down would make a deep value quadratic.
 */
export function valueIssues(value: unknown, root: (string | number)[] = []): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const stack: Step[] = [{ value, key: undefined, parent: undefined, depth: 0 }];
  while (stack.length && issues.length < MAX_ISSUES) {
    const step = stack.pop()!;
    const v = step.value;
    if (typeof v === 'string') {
      if (!isStorableText(v)) issues.push({ path: pathOf(step, root), message: NOT_STORABLE });
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (step.depth >= MAX_VALUE_DEPTH) {
      issues.push({ path: pathOf(step, root), message: TOO_DEEP });
      continue;
    }
    const depth = step.depth + 1;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], key: i, parent: step, depth });
      continue;
    }
    const entries = Object.entries(v as Record<string, unknown>);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, inner] = entries[i]!;
      const child = { value: inner, key, parent: step, depth };
      if (!isStorableText(key)) issues.push({ path: pathOf(child, root), message: NOT_STORABLE });
      stack.push(child);
    }
  }
  return issues;
}

/** The variables of an operation; each issue's path starts with the variable's name. */
export function checkVariables(variables: Record<string, unknown> | null | undefined): GraphQLError | undefined {
  const issues = valueIssues(variables ?? {});
  return issues.length ? badInput(issues) : undefined;
}

/**
 * String literals written in the operation itself (`name: "a\u0000b"`). The nesting of literals is
 * bounded by the parser and the depth limit of the operation.
 */
export const storableLiteralsRule: ValidationRule = (context) => ({
  StringValue(node) {
    if (!isStorableText(node.value))
      context.reportError(new GraphQLError(`A string literal ${NOT_STORABLE}`, { nodes: node }));
  },
});

/** Over HTTP: refuses an operation whose variables break the rules above (WebSocket: see http.ts). */
export function requestValuesPlugin<C extends object>(): ApolloServerPlugin<C> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, response }) {
          const error = checkVariables(request.variables);
          if (!error) return;
          // A bad request, as when GraphQL itself refuses a variable (Apollo answers 500 otherwise).
          response.http.status = 400;
          throw error;
        },
      };
    },
  };
}
