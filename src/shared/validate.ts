import type { z } from 'zod';
import { badInput } from './errors.js';

/**
 * Validates a mutation's input with a zod schema. Every problem is reported at once, each with its
 * path from the operation's arguments (['input', 'rows', 3, 'accountNo']).
 */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  root: (string | number)[] = ['input'],
): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw badInput(
    result.error.issues.map((issue) => ({
      path: [...root, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
      message: issue.message,
    })),
  );
}
