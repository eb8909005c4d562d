import { GraphQLError } from 'graphql';

/** The only error codes a client ever sees (ARCHITECTURE.md, "API conventions"). */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  RATE_LIMITED: 'RATE_LIMITED',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** One offending input field: `path` is relative to the operation's arguments, e.g. ['input', 'accountNo']. */
export interface FieldIssue {
  path: (string | number)[];
  message: string;
}

export class AppError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extra: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extra } });
  }
}

export const unauthenticated = (message = 'Authentication required') =>
  new AppError(ErrorCode.UNAUTHENTICATED, message);
export const forbidden = (message = 'Not allowed') => new AppError(ErrorCode.FORBIDDEN, message);
export const notFound = (what: string, id?: string) =>
  new AppError(ErrorCode.NOT_FOUND, id ? `${what} ${id} not found` : `${what} not found`);
export const conflict = (message: string, fields: FieldIssue[] = []) =>
  new AppError(ErrorCode.CONFLICT, message, { fields });
export const badInput = (fields: FieldIssue[], message?: string) =>
  new AppError(
    ErrorCode.BAD_USER_INPUT,
    message ?? `Invalid input: ${fields.map((f) => `${f.path.join('.')}: ${f.message}`).join('; ')}`,
    { fields },
  );
/** Shorthand for a single bad field. */
export const badField = (path: (string | number)[], message: string) => badInput([{ path, message }]);
